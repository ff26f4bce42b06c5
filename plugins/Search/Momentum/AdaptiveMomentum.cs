using Pipeline.Optimizers;
using Pipeline.Solvers;

namespace Pipeline.Plugins.Search.Momentum;

[Plugin(PluginKinds.Optimizer, "ams", Aliases = "adaptive-momentum,adaptive-momentum-sampler",
    Summary = "Adaptive Momentum Sampler (Wang et al. 2023): momentum with adaptive pace on the x/alpha updates of a one-step sampler (ddim, ddpm, pf-ode)")]
public sealed class AdaptiveMomentumExport : PluginExport<AdaptiveMomentum, AdaptiveMomentumOptions>;

/// <summary>Wraps the pipeline's solver in <see cref="AdaptiveMomentumSolver"/>.</summary>
public sealed class AdaptiveMomentum(AdaptiveMomentumOptions options) : IOptimizer
{
    public ISolver Wrap(ISolver solver) => new AdaptiveMomentumSolver(solver, options);
}
