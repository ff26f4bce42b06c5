using System.Collections.Concurrent;
using Pipeline.Plugins.Solvers.Amed;

namespace Pipeline.Tests.Amed;

/// <summary>Predictors trained once per test class run, by (base, grid, steps), with their held-out targets.</summary>
public sealed class TrainedPredictors : IDisposable
{
    readonly ConcurrentDictionary<(AmedBase, AmedProblem.Grid, int, bool), Lazy<(AmedParameters, MixtureTarget)>> cache = new();

    /// <summary>The predictor trained on the training noise, and the held-out target to score it on.</summary>
    public (AmedParameters Parameters, MixtureTarget Test) Get(AmedBase kind, AmedProblem.Grid grid, int steps, bool lowerOrderFinal = true) =>
        cache.GetOrAdd((kind, grid, steps, lowerOrderFinal), _ => new(() =>
        {
            var times = AmedProblem.Times(grid, steps);
            var (train, test) = AmedProblem.Targets(times);
            using (train)
                return (AmedProblem.Train(train, new AmedTrainerOptions { Base = kind, Score = false, LowerOrderFinal = lowerOrderFinal }).Parameters, test);
        })).Value;

    public void Dispose()
    {
        foreach (var entry in cache.Values)
            if (entry.IsValueCreated) entry.Value.Item2.Dispose();
    }
}
