using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Karras;

[Plugin(PluginKinds.Solver, "heun", Aliases = "k-heun,edm-heun,heun-karras,karras-heun",
    Summary = "Heun in sigma (Karras et al. 2022, Algorithm 2; k-diffusion sample_heun) with optional churn; Euler on a step to sigma = 0")]
public sealed class KarrasHeunExport : PluginExport<KarrasHeun, ChurnOptions>;

/// <summary>
/// Karras et al. 2022, Algorithm 2 (k-diffusion sample_heun) in the scaled variable y = x / alpha and noise level
/// rho = sigma / alpha: after the optional churn to rho_hat, the Euler predictor y' = y_hat + (rho_{i+1} - rho_hat) d,
/// then the second-order correction y_{i+1} = y_hat + (rho_{i+1} - rho_hat) (d + d') / 2 with d' = eps(x', t_{i+1})
/// (lines 10-12). A step into t = 0 (sigma = 0) keeps the Euler step (line 10: "if t_{i+1} != 0"). NFE: 2 per step,
/// 1 on a step into t = 0.
/// </summary>
public sealed class KarrasHeun(ChurnOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("heun", schedule, times, evaluatesLast: true);

    public int Evaluations(IReadOnlyList<double> times)
    {
        int steps = Math.Max(times.Count - 1, 0);
        return steps == 0 ? 0 : 2 * steps - (times[^1] == 0 ? 1 : 0);
    }

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var t = step.To;
        var (xHat, hat) = Churn.Apply(options, context, x, step);
        var d = context.Model.Epsilon(xHat, hat.T);
        var euler = NoiseRatioStep.Apply(xHat, hat, t, d);
        if (step.IntoClean) return euler;

        var dEnd = context.Model.Epsilon(euler, t.T);
        return NoiseRatioStep.Apply(xHat, hat, t, [0.5, 0.5], [d, dEnd]);
    });
}
