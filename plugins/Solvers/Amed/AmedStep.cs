using Pipeline;
using Pipeline.Plugins.Solvers.Pndm;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Amed;

/// <summary>The step an AMED predictor drives: the plain AMED-Solver step, or the AMED-Plugin on iPNDM or DPM-Solver++(2M).</summary>
public enum AmedBase
{
    /// <summary>AMED-Solver (Zhou et al. 2024): Euler to s_n, then one slope from s_n over the whole step.</summary>
    Amed,

    /// <summary>AMED-Plugin on iPNDM (Zhou et al. 2024): iPNDM on the grid t_0, s_0, t_1, s_1, ..., with s_n learned.</summary>
    Ipndm,

    /// <summary>AMED-Plugin on DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2) on the grid t_0, s_0, t_1, s_1, ...</summary>
    DpmSolverPp,
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
/// rho over all slopes so far, t's and s's alike), with c_n scaling the second. For the AMED-Plugin on DPM-Solver++(2M)
/// they are DPM-Solver++(2M) steps in lambda = log(alpha / sigma) with data predictions, each using the previous grid
/// point's (s_{n-1} for the first half, t_n for the second; first order where there is none):
/// <code>
/// x_b = (sigma_b / sigma_a) x_a + alpha_b (1 - e^{-h}) D,   h = lambda_b - lambda_a,
/// D = x0_a + (x0_a - x0_p) / (2 r),                          r = (lambda_a - lambda_p) / h,
/// </code>
/// with c_n scaling the second half's alpha (1 - e^{-h}) D. In all three, x_{n+1} = A + c_n B with A and B independent
/// of c_n, which is what lets the trainer solve for c_n in closed form. Every intermediate time may differ per sample
/// (a per-sample predictor): the coefficients then are per sample.
/// </summary>
internal sealed class AmedStep(AmedBase kind, int maxOrder) : IDisposable
{
    /// <summary>Slopes so far, newest first: eps_n (plain), or every t and s slope iPNDM combines.</summary>
    readonly MultistepHistory history = new(kind == AmedBase.Ipndm ? maxOrder : 1);

    /// <summary>DPM-Solver++: the data prediction at t_n, and at the grid point before it (s_{n-1}) with its lambda per sample.</summary>
    Tensor? data, previousData;
    /// <summary>DPM-Solver++: the half step s_n -> t_{n+1} is of first order (after an analytic slope, or on the last step with lower-order-final).</summary>
    bool secondHalfFirstOrder;
    double[] previousLambda = [];

    public AmedBase Kind => kind;

    /// <summary>
    /// AMED's analytic first step (AFS): at t_0 the data is negligible next to the noise, so eps(x_T, t_0) is
    /// replaced by y_T / sqrt(1 + rho_0^2) = x_T / sqrt(alpha_0^2 + sigma_0^2), the noise that x_T's own scale
    /// implies for unit-variance data; this saves the first evaluation.
    /// </summary>
    public static Tensor AnalyticEpsilon(Tensor x, TimePoint t) =>
        Linear.Scale(1 / Math.Sqrt(t.Alpha * t.Alpha + t.Sigma * t.Sigma), x);

    /// <summary>The intermediate time s_n at fraction r of the way from t_n to t_{n+1} in log rho.</summary>
    public static TimePoint Intermediate(INoiseSchedule schedule, TimePoint from, TimePoint to, double r)
    {
        // log rho = -lambda, so geometric in rho is linear in lambda.
        double lambda = (1 - r) * from.Lambda + r * to.Lambda;
        return TimePoint.At(schedule, schedule.TimeOfLambda(lambda));
    }

    /// <summary>
    /// Takes the slope at t_n (model or analytic) into the history (DPM-Solver++: as x_0 = (x_n - sigma_n eps) / alpha_n).
    /// <paramref name="firstOrderToNext"/> makes DPM-Solver++'s half step s_n -> t_{n+1} first order (its lower-order-final
    /// rule on the last step). An analytic slope (<paramref name="analytic"/>) is not used as DPM-Solver++'s previous point: its x_0, eps's
    /// error times sigma / alpha (about 157 at t = 1 for DDPM's linear betas), is the zero-mean guess, far from a data
    /// mean such as MNIST's dark background, and the second-order difference x0_s - x0_n would carry that error on.
    /// </summary>
    public void Begin(Tensor x, TimePoint t, Tensor epsilon, bool analytic = false, bool firstOrderToNext = false)
    {
        secondHalfFirstOrder = analytic || firstOrderToNext;
        if (kind != AmedBase.DpmSolverPp)
        {
            history.Push(t, epsilon);
            return;
        }
        data?.Dispose();
        data = Linear.Combine(1 / t.Alpha, x, -t.Sigma / t.Alpha, epsilon).DetachFromDisposeScope();
    }

    /// <summary>x at s_n from x_n: Euler in rho (plain) or iPNDM's step with the slopes held.</summary>
    public Tensor ToIntermediate(Tensor x, TimePoint from, TimePoint s) => kind switch
    {
        AmedBase.Amed => NoiseRatioStep.Apply(x, from, s, history[0]),
        AmedBase.Ipndm => PseudoLinearMultistep.Step(x, from, s, history, Math.Min(history.Count, maxOrder)),
        _ => ToIntermediate(x, from, [s]),
    };

    /// <summary>
    /// The same with sample b going to its own s_b (a per-sample predictor): x_s = (alpha_s / alpha_n) x_n +
    /// alpha_s (rho_s - rho_n) e with e the slope of the step (eps_n, or iPNDM's combination), coefficients per sample.
    /// </summary>
    public Tensor ToIntermediate(Tensor x, TimePoint from, IReadOnlyList<TimePoint> s)
    {
        if (kind == AmedBase.DpmSolverPp) return DpmStep(x, from, s, data!, previousData, previousLambda);
        if (Uniform(s)) return ToIntermediate(x, from, s[0]);
        using var scope = NewDisposeScope();
        var slope = Slope(Math.Min(history.Count, maxOrder), null);
        var next = PerSampleLinear(s.Select(p => p.Alpha / from.Alpha).ToArray(), x, s.Select(p => NoiseRatioStep.Increment(from, p)).ToArray(), slope);
        return scope.MoveToOuter(next);
    }

    /// <summary>
    /// A and B of x_{n+1} = A + c B, given x_n, x(s_n) and eps(x(s_n), s_n). Plain: A = (alpha_{n+1} / alpha_n) x_n and
    /// B = alpha_{n+1} (rho_{n+1} - rho_n) eps_s. iPNDM: A = (alpha_{n+1} / alpha_s) x(s_n) and B = alpha_{n+1}
    /// (rho_{n+1} - rho_s) times the Adams-Bashforth combination of eps_s and the held slopes.
    /// </summary>
    public (Tensor A, Tensor B) FromIntermediate(Tensor x, TimePoint from, Tensor xS, TimePoint s, Tensor epsS, TimePoint to)
    {
        if (kind == AmedBase.DpmSolverPp) return FromIntermediate(x, from, xS, [s], epsS, to);
        if (kind == AmedBase.Amed)
            return (Linear.Scale(to.Alpha / from.Alpha, x), Linear.Scale(NoiseRatioStep.Increment(from, to), epsS));
        int order = Math.Min(history.Count + 1, maxOrder);
        var weights = PseudoLinearMultistep.WeightsOf(order);
        double increment = NoiseRatioStep.Increment(s, to);
        var b = Linear.Scale(increment * weights[0], epsS);
        for (int j = 1; j < order; j++) b.AddScaled_(increment * weights[j], history[j - 1]);
        return (Linear.Scale(to.Alpha / s.Alpha, xS), b);
    }

    /// <summary>The same with per-sample s_b (only iPNDM's A and B depend on s).</summary>
    public (Tensor A, Tensor B) FromIntermediate(Tensor x, TimePoint from, Tensor xS, IReadOnlyList<TimePoint> s, Tensor epsS, TimePoint to)
    {
        if (kind == AmedBase.DpmSolverPp)
        {
            using var dpm = NewDisposeScope();
            var dataS = PerSampleLinear(s.Select(p => 1 / p.Alpha).ToArray(), xS, s.Select(p => -p.Sigma / p.Alpha).ToArray(), epsS);
            var targets = s.Select(_ => to).ToArray();
            var (dpmA, dpmB) = DpmParts(xS, s, targets, dataS, secondHalfFirstOrder ? null : data, s.Select(_ => from.Lambda).ToArray());
            return (dpm.MoveToOuter(dpmA), dpm.MoveToOuter(dpmB));
        }
        if (kind == AmedBase.Amed || Uniform(s)) return FromIntermediate(x, from, xS, s[0], epsS, to);
        using var scope = NewDisposeScope();
        var slope = Slope(Math.Min(history.Count + 1, maxOrder), epsS);
        var (a, b) = (PerSample(xS, s.Select(p => to.Alpha / p.Alpha)), PerSample(slope, s.Select(p => NoiseRatioStep.Increment(p, to))));
        return (scope.MoveToOuter(a), scope.MoveToOuter(b));
    }

    /// <summary>After the step is taken: iPNDM keeps eps_s among its slopes, DPM-Solver++ x_0 at s_n.</summary>
    public void Commit(Tensor xS, IReadOnlyList<TimePoint> s, Tensor epsS)
    {
        if (kind == AmedBase.Ipndm) history.Push(epsS);
        if (kind != AmedBase.DpmSolverPp) return;
        previousData?.Dispose();
        previousData = PerSampleLinear(s.Select(p => 1 / p.Alpha).ToArray(), xS, s.Select(p => -p.Sigma / p.Alpha).ToArray(), epsS)
            .DetachFromDisposeScope();
        previousLambda = s.Select(p => p.Lambda).ToArray();
    }

    /// <summary>DPM-Solver++(2M) from x_a at <paramref name="from"/> to each sample's target, as one tensor (c = 1).</summary>
    Tensor DpmStep(Tensor x, TimePoint from, IReadOnlyList<TimePoint> targets, Tensor dataA, Tensor? dataP, double[] lambdaP)
    {
        using var scope = NewDisposeScope();
        var (a, b) = DpmParts(x, [from], targets, dataA, dataP, lambdaP);
        return scope.MoveToOuter(a.Plus_(b));
    }

    /// <summary>
    /// A = (sigma_b / sigma_a) x_a and B = alpha_b (1 - e^{-h}) D of a DPM-Solver++(2M) step from a (one time, or one
    /// per sample) to b (per sample), with D from x0_a and, when there is one, x0_p at lambda_p (one or per sample).
    /// </summary>
    static (Tensor A, Tensor B) DpmParts(Tensor x, IReadOnlyList<TimePoint> from, IReadOnlyList<TimePoint> to, Tensor dataA,
        Tensor? dataP, double[] lambdaP)
    {
        int n = Math.Max(Math.Max(from.Count, to.Count), dataP is null ? 1 : lambdaP.Length);
        TimePoint At(IReadOnlyList<TimePoint> p, int b) => p[p.Count == 1 ? 0 : b];
        var h = Enumerable.Range(0, n).Select(b => At(to, b).Lambda - At(from, b).Lambda).ToArray();
        var a = PerSample(x, Enumerable.Range(0, n).Select(b => At(to, b).Sigma / At(from, b).Sigma).ToArray());
        var increment = Enumerable.Range(0, n).Select(b => -At(to, b).Alpha * Numerics.ExpM1(-h[b])).ToArray();
        if (dataP is null) return (a, PerSample(dataA, increment));
        // D = x0_a + (x0_a - x0_p) / (2 r), r = (lambda_a - lambda_p) / h.
        var correction = Enumerable.Range(0, n)
            .Select(b => increment[b] * h[b] / (2 * (At(from, b).Lambda - lambdaP[lambdaP.Length == 1 ? 0 : b]))).ToArray();
        using var difference = dataA.sub(dataP);
        return (a, PerSample(dataA, increment).Plus_(PerSample(difference, correction)));
    }

    /// <summary>One whole step with parameters (r, c); returns x_{n+1} and eps_s (owned by the caller's scope).</summary>
    public Tensor Step(IDenoiser model, Tensor x, TimePoint from, TimePoint to, AmedStepParameters p) =>
        Step(model, x, from, to, [p.R], [p.C]);

    /// <summary>
    /// One whole step with r_b and c_b per sample (one value each: the same for all): each sample is evaluated at its
    /// own s_b, in one NFE (<see cref="IDenoiser.Predict(Tensor, IReadOnlyList{double})"/>).
    /// </summary>
    public Tensor Step(IDenoiser model, Tensor x, TimePoint from, TimePoint to, IReadOnlyList<double> r, IReadOnlyList<double> c)
    {
        var s = r.Select(v => Intermediate(model.Schedule, from, to, v)).ToArray();
        var xS = ToIntermediate(x, from, s);
        var epsS = Uniform(s) ? model.Epsilon(xS, s[0].T) : model.Predict(xS, s.Select(p => p.T).ToArray()).Epsilon;
        var (a, b) = FromIntermediate(x, from, xS, s, epsS, to);
        Commit(xS, s, epsS);
        return c.Count == 1 || c.All(v => v == c[0]) ? a.AddScaled_(c[0], b) : a.Plus_(PerSample(b, c));
    }

    /// <summary>
    /// The slope the half step uses: eps_n (plain), or iPNDM's Adams-Bashforth combination of order
    /// <paramref name="order"/> over <paramref name="newest"/> (when given) and the held slopes, newest first.
    /// </summary>
    Tensor Slope(int order, Tensor? newest)
    {
        if (kind == AmedBase.Amed) return newest ?? history[0];
        var slopes = (newest is null ? history.Newest(order) : [newest, .. history.Newest(order - 1)]);
        var weights = PseudoLinearMultistep.WeightsOf(order);
        var sum = Linear.Scale(weights[0], slopes[0]);
        for (int j = 1; j < order; j++) sum.AddScaled_(weights[j], slopes[j]);
        return sum;
    }

    static bool Uniform(IReadOnlyList<TimePoint> s) => s.All(p => p.T == s[0].T);

    /// <summary>a_b x_b + c_b y_b, per sample (or one coefficient each for all).</summary>
    static Tensor PerSampleLinear(double[] a, Tensor x, double[] c, Tensor y) =>
        a.Length == 1 && c.Length == 1 ? Linear.Combine(a[0], x, c[0], y) : PerSample(x, a).Plus_(PerSample(y, c));

    /// <summary>A new tensor with sample b of <paramref name="t"/> multiplied by v_b (one value: all by it).</summary>
    static Tensor PerSample(Tensor t, IEnumerable<double> v)
    {
        var values = v as double[] ?? v.ToArray();
        if (values.Length == 1 || values.All(e => e == values[0])) return Linear.Scale(values[0], t);
        var shape = new long[t.dim()];
        Array.Fill(shape, 1L);
        shape[0] = t.shape[0];
        using var factors = tensor(values, ScalarType.Float64, t.device).to_type(t.dtype).reshape(shape);
        return t.mul(factors);
    }

    public void Dispose()
    {
        history.Dispose();
        data?.Dispose();
        previousData?.Dispose();
    }
}
