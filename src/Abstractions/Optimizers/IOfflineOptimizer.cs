namespace Pipeline.Optimizers;

/// <summary>
/// An optimizer that runs on its own (the <c>optimize</c> command) before any sampling: it searches, distils or
/// estimates on a pipeline and writes an artifact (a time-step file, a trained predictor, a variance table) that
/// pipelines then reference. Online optimizers are <see cref="IOptimizer"/>s instead.
/// </summary>
public interface IOfflineOptimizer
{
    /// <summary>Problems with running on this pipeline, checked before anything runs. Empty when it can run.</summary>
    IEnumerable<string> Check(IOptimizationTarget target) => [];

    /// <summary>
    /// Runs to completion and writes its artifacts into <see cref="OptimizationContext.OutputDirectory"/>.
    /// Returns a summary for report.json: the artifact's file names, scores before and after, costs.
    /// </summary>
    IReadOnlyDictionary<string, object?> Optimize(OptimizationContext context);
}
