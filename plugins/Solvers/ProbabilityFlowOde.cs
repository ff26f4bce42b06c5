using System.ComponentModel;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "pf-ode", Aliases = "probability-flow",
    Summary = "Probability-flow ODE in t (Song et al. 2021, eq. (13)) by Euler or Heun; any schedule")]
public sealed class ProbabilityFlowOdeExport : PluginExport<ProbabilityFlowOde, ProbabilityFlowOdeOptions>;

public enum OdeMethod
{
    /// <summary>Explicit Euler: one model evaluation per step, first order.</summary>
    Euler,
    /// <summary>Heun's method (explicit trapezoid): two evaluations per step, second order.</summary>
    Heun,
}

public sealed class ProbabilityFlowOdeOptions
{
    [Description("'euler' (1 evaluation per step, order 1) or 'heun' (2 per step, order 2; a last step into t = 0 is an Euler step)")]
    public OdeMethod Method { get; set; } = OdeMethod.Euler;
}

/// <summary>
/// The probability-flow ODE dx/dt = f(t) x - g(t)^2 / 2 * score = f x + g^2 / (2 sigma) eps (Song et al. 2021,
/// eq. (13)), integrated in t over the given times. Heun's corrector needs the model at the step's end, which is
/// impossible at t = 0, so a last step into t = 0 is an Euler step. Euler in t is a poor step into t = 0 on schedules
/// where sigma grows like sqrt(t) (VP): end the times at TMin there, or use 'ddim'.
/// </summary>
public sealed class ProbabilityFlowOde(ProbabilityFlowOdeOptions options) : ISolver
{
    bool Heun => options.Method == OdeMethod.Heun;

    /// <summary>Euler and Heun steps read only x and their own two times (Heun's end evaluation is skipped only into t = 0).</summary>
    public bool OneStep => true;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("pf-ode", schedule, times, evaluatesLast: Heun);

    public int Evaluations(IReadOnlyList<double> times)
    {
        int steps = Math.Max(times.Count - 1, 0);
        if (!Heun || steps == 0) return steps;
        return 2 * steps - (times[^1] == 0 ? 1 : 0);
    }

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (s, t) = (step.From, step.To);
        double dt = t.T - s.T;
        var slope = Slope(context.Model, x, s);
        var euler = Linear.Combine(1, x, dt, slope);
        if (!Heun || step.IntoClean) return euler;

        // Heun: average the slopes at both ends, the second taken at the Euler predictor.
        var slopeEnd = Slope(context.Model, euler, t);
        return Linear.Combine(1, x, dt / 2, slope).AddScaled_(dt / 2, slopeEnd);
    });

    /// <summary>dx/dt of eq. (13) at (x, t): f x + g^2 / (2 sigma) eps.</summary>
    static Tensor Slope(IDenoiser model, Tensor x, TimePoint p)
    {
        var schedule = model.Schedule;
        var eps = model.Epsilon(x, p.T);
        return Linear.Combine(schedule.Drift(p.T), x, schedule.DiffusionSquared(p.T) / (2 * p.Sigma), eps);
    }
}
