using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Karras;

[Plugin(PluginKinds.Solver, "euler", Aliases = "k-euler,euler-karras,karras-euler,edm-euler",
    Summary = "Euler in sigma (Karras et al. 2022, Algorithm 2 with Euler steps; k-diffusion sample_euler) with optional churn")]
public sealed class KarrasEulerExport : PluginExport<KarrasEuler, ChurnOptions>;

/// <summary>
/// Karras et al. 2022, Algorithm 2 with the Heun correction left out (k-diffusion sample_euler), in the scaled
/// variable y = x / alpha and noise level rho = sigma / alpha so that VP schedules work too: after the optional churn,
/// d = (y_hat - D) / rho_hat = eps(x_hat, t_hat) and y_{i+1} = y_hat + (rho_{i+1} - rho_hat) d. Without churn this is
/// DDIM with eta = 0. One NFE per step.
/// </summary>
public sealed class KarrasEuler(ChurnOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("euler", schedule, times);

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (xHat, hat) = Churn.Apply(options, context, x, step);
        var d = context.Model.Epsilon(xHat, hat.T);
        return NoiseRatioStep.Apply(xHat, hat, step.To, d);
    });
}
