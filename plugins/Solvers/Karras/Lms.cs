using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Karras;

[Plugin(PluginKinds.Solver, "lms", Aliases = "k-lms,lms-karras,lms-discrete",
    Summary = "Linear multistep in sigma with Lagrange weights on the actual steps (k-diffusion sample_lms), 1 NFE per step")]
public sealed class LmsExport : PluginExport<Lms, LmsOptions>;

public sealed class LmsOptions
{
    [Description("order of the multistep (number of slopes combined); the first steps use as many as exist")]
    [Range(1, 6)]
    public int Order { get; set; } = 4;

    [Description("on the step into sigma = 0, return the data prediction instead of the multistep step (ComfyUI's lms); false is k-diffusion's sample_lms")]
    public bool FinalDenoise { get; set; }
}

/// <summary>
/// The linear multistep method of k-diffusion's sample_lms in the scaled variable y = x / alpha and noise level
/// rho = sigma / alpha (the k-diffusion sigma): with slopes d_j = (y_j - D_j) / rho_j = eps(x_j, t_j) at the last k
/// steps, y_{i+1} = y_i + sum_j w_j d_{i-j}, w_j = integral from rho_i to rho_{i+1} of the Lagrange basis polynomial of
/// node rho_{i-j} (Adams-Bashforth on the actual, unequal steps). k = min(i + 1, order). The weights are integrated
/// exactly (Gauss-Legendre) where k-diffusion calls scipy's quad. A step into t = 0 (rho = 0) is an ordinary step;
/// with <see cref="LmsOptions.FinalDenoise"/> it is the first-order step with the newest slope alone, which lands on
/// alpha_t times the data prediction (ComfyUI's version of the sampler).
/// </summary>
public sealed class Lms(LmsOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("lms", schedule, times);

    public Tensor Sample(SamplingContext context)
    {
        using var history = new MultistepHistory(options.Order);
        var rho = TimePoint.Along(context.Schedule, context.Times).Select(p => p.Sigma / p.Alpha).ToArray();
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            int i = step.Index;
            history.Push(s, context.Model.Epsilon(x, s.T));
            int k = options.FinalDenoise && rho[i + 1] == 0 ? 1 : history.Count;
            var nodes = Enumerable.Range(0, k).Select(j => rho[i - j]).ToArray();
            // sum_j w_j d_j = (rho_{i+1} - rho_i) sum_j (w_j / (rho_{i+1} - rho_i)) d_j: the transfer with normalised weights.
            var weights = LagrangeWeights.Integrate(nodes, rho[i], rho[i + 1]);
            double length = rho[i + 1] - rho[i];
            for (int j = 0; j < k; j++) weights[j] /= length;
            return NoiseRatioStep.Apply(x, s, t, weights, history.Newest(k));
        });
    }
}
