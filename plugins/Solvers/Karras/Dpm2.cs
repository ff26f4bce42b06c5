using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Karras;

[Plugin(PluginKinds.Solver, "dpm2", Aliases = "kdpm2,k-dpm-2,dpm-2,dpm_2",
    Summary = "DPM-2 in sigma (k-diffusion sample_dpm_2): Karras et al. 2022 Algorithm 2 with a DPM-Solver-2 midpoint at the geometric mean sigma, optional churn; Euler on a step to sigma = 0")]
public sealed class Dpm2Export : PluginExport<Dpm2, ChurnOptions>;

/// <summary>
/// k-diffusion's sample_dpm_2 in the scaled variable y = x / alpha and noise ratio rho = sigma / alpha: after the
/// optional churn of Karras et al. 2022, Algorithm 2 (lines 4-7) to rho_hat, d = eps(x_hat, t_hat), then the midpoint
/// stage of <see cref="Dpm2Step"/> from rho_hat to rho_{i+1}. A step into t = 0 keeps the Euler step
/// y_{i+1} = y_hat - rho_hat d (the midpoint would sit at rho = 0). NFE: 2 per step, 1 on a step into t = 0.
/// </summary>
public sealed class Dpm2(ChurnOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("dpm2", schedule, times);

    public int Evaluations(IReadOnlyList<double> times) => Dpm2Step.Evaluations(times);

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var t = step.To;
        var (xHat, hat) = Churn.Apply(options, context, x, step);
        var d = context.Model.Epsilon(xHat, hat.T);
        if (step.IntoClean) return NoiseRatioStep.Apply(xHat, hat, t, d);

        var dMid = Dpm2Step.MidpointSlope(context, xHat, hat, d, t.Rho);
        return NoiseRatioStep.Apply(xHat, hat, t, dMid);
    });
}
