using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;
using Pipeline.Metrics;

namespace Pipeline.Host.Running;

/// <summary>Scores a finished run with the pipeline's metrics.</summary>
public static class MetricScores
{
    /// <summary>One entry per metric of the definition, named by its type, in list order.</summary>
    /// <param name="times">The times the run used when they were not the pipeline's.</param>
    /// <param name="cancellation">Checked before each metric and passed to it; cancelling throws <see cref="OperationCanceledException"/>.</param>
    /// <param name="given">Scores already known by metric index (a merge's scores from shard statistics); those metrics are not run.</param>
    public static JObject Score(ComposedPipeline pipeline, RunResult result, IReadOnlyList<double>? times = null, CancellationToken cancellation = default,
        IReadOnlyDictionary<int, IReadOnlyDictionary<string, double>>? given = null)
    {
        var scores = new JObject();
        for (int i = 0; i < pipeline.Metrics.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var name = (string)pipeline.Resolved["metrics"]![i]!["type"]!;
            if (given is not null && given.TryGetValue(i, out var known))
            {
                scores[name] = new JObject(known.Select(kv => new JProperty(kv.Key, kv.Value)));
                continue;
            }
            using var labels = pipeline.Labels is { } l ? TorchSharp.torch.tensor(l) : null;
            var context = new MetricContext(result.Samples, result.Initial, pipeline.Denoiser, times ?? pipeline.Times, labels) { Cancellation = cancellation };
            var values = pipeline.Metrics[i].Score(context);
            scores[name] = new JObject(values.Select(kv => new JProperty(kv.Key, kv.Value)));
        }
        cancellation.ThrowIfCancellationRequested();
        return scores;
    }
}
