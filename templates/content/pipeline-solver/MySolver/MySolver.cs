using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Plugins;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace MySolver;

// The name in JSON definitions: "solver": { "type": "mysolver" }. `pipeline list solver` shows it with its options.
[Plugin(PluginKinds.Solver, "mysolver", Summary = "First-order DDIM step (Song et al. 2021, eq. (12) with eta = 0)")]
public sealed class MySolverExport : PluginExport<MySolver, MySolverOptions>;

/// <summary>The solver's options: JSON keys are the camelCase property names; the initial values are the defaults.</summary>
public sealed class MySolverOptions
{
    [Description("Multiplies the data-prediction part of each step's change (1 = DDIM)"), Range(0.0, 2.0)]
    public double Scale { get; set; } = 1.0;
}

/// <summary>
/// Deterministic DDIM (Song et al. 2021, eq. (12) with eta = 0) in its data-prediction form:
/// x_t = (sigma_t / sigma_s) x_s + (alpha_t - alpha_s sigma_t / sigma_s) x_0(x_s, s),
/// which is exact down to sigma_t = 0 and equals the first-order DPM-Solver++ step.
/// </summary>
public sealed class MySolver(MySolverOptions options) : ISolver
{
    /// <summary>Each step reads only x and its own two times, so online optimizers may act between steps.</summary>
    public bool OneStep => true;

    /// <summary>The kit's checks of the time grid (decreasing, inside the schedule, sigma > 0 where it divides).</summary>
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("mysolver", schedule, times);

    /// <summary>
    /// The kit's step loop owns x: it opens a dispose scope per step, disposes the previous x (never the caller's
    /// initial one), reports progress and honours cancellation. The body returns the next x.
    /// </summary>
    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (s, t) = (step.From, step.To);
        var x0 = context.Model.Data(x, s.T);
        double ratio = t.Sigma / s.Sigma;
        // Linear.Combine takes double coefficients and keeps its Scalars alive across the native call.
        return Linear.Combine(ratio, x, (t.Alpha - s.Alpha * ratio) * options.Scale, x0);
    });
}
