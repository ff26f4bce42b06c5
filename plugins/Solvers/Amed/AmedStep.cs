using Pipeline.Plugins.Solvers.Pndm;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Amed;

/// <summary>The step an AMED predictor drives: the plain AMED-Solver step, or the AMED-Plugin on iPNDM.</summary>
public enum AmedBase
{
    /// <summary>AMED-Solver (Zhou et al. 2024): Euler to s_n, then one slope from s_n over the whole step.</summary>
    Amed,

    /// <summary>AMED-Plugin on iPNDM (Zhou et al. 2024): iPNDM on the grid t_0, s_0, t_1, s_1, ..., with s_n learned.</summary>
    Ipndm,
}

/// <summary>
/// One AMED step from x_n at t_n to t_{n+1}, split so that the solver and the trainer run the same lines. Everything is
/// written in the scaled variable y = x / alpha against the noise ratio rho = sigma / alpha, where the probability flow is
/// dy/drho = eps (EDM's form, which the paper uses; on VE and EDM schedules y = x and rho = sigma):
/// <code>
/// rho(s_n) = rho_n^(1 - r_n) rho_{n+1}^(r_n)                          (s_n geometric between t_n and t_{n+1})
/// y(s_n)   = y_n + (rho(s_n) - rho_n) eps_n                           (Euler to s_n)
/// y_{n+1}  = y_n + c_n (rho_{n+1} - rho_n) eps(x(s_n), s_n)           (mean value theorem; c_n the learned scale)
/// </code>
/// For the AMED-Plugin on iPNDM the two half steps t_n -> s_n and s_n -> t_{n+1} are iPNDM steps (Adams-Bashforth in
/// rho over all slopes so far, t's and s's alike), with c_n scaling the second. In both, x_{n+1} = A + c_n B with A and B
/// independent of c_n, which is what lets the trainer solve for c_n in closed form.
/// </summary>
internal sealed class AmedStep(AmedBase kind, int maxOrder) : IDisposable
{
    /// <summary>Slopes so far, newest first: eps_n (plain), or every t and s slope iPNDM combines.</summary>
    readonly TensorHistory history = new(kind == AmedBase.Ipndm ? maxOrder : 1);

    public AmedBase Kind => kind;

    /// <summary>
    /// AMED's analytic first step (AFS): at t_0 the data is negligible next to the noise, so eps(x_T, t_0) is
    /// replaced by y_T / sqrt(1 + rho_0^2) = x_T / sqrt(alpha_0^2 + sigma_0^2), the noise that x_T's own scale
    /// implies for unit-variance data; this saves the first evaluation.
    /// </summary>
    public static Tensor AnalyticEpsilon(Tensor x, TimePoint t)
    {
        using Scalar scale = 1 / Math.Sqrt(t.Alpha * t.Alpha + t.Sigma * t.Sigma);
        return x.mul(scale);
    }

    /// <summary>The intermediate time s_n at fraction r of the way from t_n to t_{n+1} in log rho.</summary>
    public static TimePoint Intermediate(INoiseSchedule schedule, TimePoint from, TimePoint to, double r)
    {
        // log rho = -lambda, so geometric in rho is linear in lambda.
        double lambda = (1 - r) * from.Lambda + r * to.Lambda;
        return TimePoint.At(schedule, schedule.TimeOfLambda(lambda));
    }

    /// <summary>Takes the slope at t_n (model or analytic) into the history.</summary>
    public void Begin(Tensor epsilon) => history.Push(epsilon);

    /// <summary>x at s_n from x_n: Euler in rho (plain) or iPNDM's step with the slopes held.</summary>
    public Tensor ToIntermediate(Tensor x, TimePoint from, TimePoint s) => kind == AmedBase.Amed
        ? NoiseRatioStep.Apply(x, from, s, history[0])
        : PseudoLinearMultistep.Step(x, from, s, history, Math.Min(history.Count, maxOrder));

    /// <summary>
    /// A and B of x_{n+1} = A + c B, given x_n, x(s_n) and eps(x(s_n), s_n). Plain: A = (alpha_{n+1} / alpha_n) x_n and
    /// B = alpha_{n+1} (rho_{n+1} - rho_n) eps_s. iPNDM: A = (alpha_{n+1} / alpha_s) x(s_n) and B = alpha_{n+1}
    /// (rho_{n+1} - rho_s) times the Adams-Bashforth combination of eps_s and the held slopes.
    /// </summary>
    public (Tensor A, Tensor B) FromIntermediate(Tensor x, TimePoint from, Tensor xS, TimePoint s, Tensor epsS, TimePoint to)
    {
        if (kind == AmedBase.Amed)
            return (Scaled(x, to.Alpha / from.Alpha), Scaled(epsS, NoiseRatioStep.Increment(from, to)));
        int order = Math.Min(history.Count + 1, maxOrder);
        var weights = PseudoLinearMultistep.WeightsOf(order);
        double increment = NoiseRatioStep.Increment(s, to);
        var b = Scaled(epsS, increment * weights[0]);
        for (int j = 1; j < order; j++) b.AddScaled_(increment * weights[j], history[j - 1]);
        return (Scaled(xS, to.Alpha / s.Alpha), b);
    }

    /// <summary>After the step is taken: iPNDM keeps eps_s among its slopes.</summary>
    public void Commit(Tensor epsS)
    {
        if (kind == AmedBase.Ipndm) history.Push(epsS);
    }

    /// <summary>One whole step with parameters (r, c); returns x_{n+1} and eps_s (owned by the caller's scope).</summary>
    public Tensor Step(IDenoiser model, Tensor x, TimePoint from, TimePoint to, AmedStepParameters p)
    {
        var s = Intermediate(model.Schedule, from, to, p.R);
        var xS = ToIntermediate(x, from, s);
        var epsS = model.Epsilon(xS, s.T);
        var (a, b) = FromIntermediate(x, from, xS, s, epsS, to);
        Commit(epsS);
        return a.AddScaled_(p.C, b);
    }

    /// <summary>A new tensor v t, its Scalar freed at once rather than by the finalizer.</summary>
    static Tensor Scaled(Tensor t, double v)
    {
        using Scalar s = v;
        return t.mul(s);
    }

    public void Dispose() => history.Dispose();
}
