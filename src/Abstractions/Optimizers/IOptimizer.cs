using Pipeline.Solvers;

namespace Pipeline.Optimizers;

/// <summary>
/// Changes how sampling is done. An online optimizer listed in a pipeline wraps its solver (momentum
/// methods); offline ones run on their own and write an artifact that a pipeline then references.
/// </summary>
public interface IOptimizer
{
    /// <summary>The solver the pipeline runs when this optimizer is listed in it.</summary>
    ISolver Wrap(ISolver solver);
}
