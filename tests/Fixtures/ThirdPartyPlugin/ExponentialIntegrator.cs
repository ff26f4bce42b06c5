using System.ComponentModel;
using Pipeline.Plugins;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using TorchSharp;

namespace ThirdParty.Sampling;

[Plugin(PluginKinds.Solver, "third-party-euler", Aliases = "tp-euler", Summary = "First-order exponential integrator written outside the project")]
public sealed class ExponentialIntegratorExport : PluginExport<ExponentialIntegrator, ExponentialIntegratorOptions>;

public sealed class ExponentialIntegratorOptions
{
    [Description("Multiplies every update (1 = the exact first-order step)")]
    public double Scale { get; set; } = 1.0;
}

/// <summary>
/// DPM-Solver-1 in data-prediction form, valid down to sigma_t = 0: x_t = (sigma_t / sigma_s) x_s + alpha_t (1 - e^{-h}) x0,
/// h = lambda_t - lambda_s. The solver kit's loop owns x: it disposes the previous step's x and every temporary.
/// </summary>
public sealed class ExponentialIntegrator(ExponentialIntegratorOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("third-party-euler", schedule, times);

    public bool OneStep => true;

    public torch.Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (s, t) = (step.From, step.To);
        var x0 = context.Model.Data(x, s.T);
        // 1 - e^{-h} is 1 on a step into t = 0 (h = +infinity), where alpha_t = 1.
        return Linear.Combine(t.Sigma / s.Sigma, x, t.Alpha * Numerics.OneMinusExpNeg(step.H) * options.Scale, x0);
    });
}
