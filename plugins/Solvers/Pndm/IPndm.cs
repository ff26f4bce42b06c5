using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Pndm;

[Plugin(PluginKinds.Solver, "ipndm", Aliases = "i-pndm,improved-pndm",
    Summary = "iPNDM (Zhang and Chen 2023; k-diffusion sample_ipndm): PNDM's multistep with a lower-order multistep start, 1 NFE per step")]
public sealed class IPndmExport : PluginExport<IPndm, IPndmOptions>;

public sealed class IPndmOptions
{
    [Description("highest Adams-Bashforth order (k-diffusion's max_order); the first steps use orders 1, 2, ... up to it")]
    [Range(1, 4)]
    public int MaxOrder { get; set; } = 4;
}

/// <summary>
/// Improved PNDM (Zhang and Chen 2023, DEIS paper, sec. on iPNDM; k-diffusion / ComfyUI sample_ipndm): the pseudo
/// linear multistep of PNDM, i.e. Adams-Bashforth with fixed weights for y = x / alpha in rho = sigma / alpha, whose
/// warm-up uses the multistep of the orders available (1, 2, 3) instead of Runge-Kutta steps, so every step costs one
/// NFE. As in sample_ipndm, a step into t = 0 returns the model's x_0 prediction (order 1 on that step).
/// </summary>
public sealed class IPndm(IPndmOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("ipndm", schedule, times);

    public Tensor Sample(SamplingContext context)
    {
        using var history = new MultistepHistory(options.MaxOrder);
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            history.Push(s, context.Model.Epsilon(x, s.T));
            int order = step.IntoClean ? 1 : Math.Min(history.Count, options.MaxOrder);
            return PseudoLinearMultistep.Step(x, s, t, history, order);
        });
    }
}
