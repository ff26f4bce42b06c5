using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;
using Pipeline.Metrics;

namespace Pipeline.Host.Running;

/// <summary>Scores a finished run with the pipeline's metrics.</summary>
public static class MetricScores
{
    /// <summary>One entry per metric of the definition, named by its type, in list order.</summary>
    public static JObject Score(ComposedPipeline pipeline, RunResult result)
    {
        var scores = new JObject();
        for (int i = 0; i < pipeline.Metrics.Count; i++)
        {
            var name = (string)pipeline.Resolved["metrics"]![i]!["type"]!;
            using var labels = pipeline.Labels is { } l ? TorchSharp.torch.tensor(l) : null;
            var values = pipeline.Metrics[i].Score(new MetricContext(result.Samples, result.Initial, pipeline.Denoiser, pipeline.Times, labels));
            scores[name] = new JObject(values.Select(kv => new JProperty(kv.Key, kv.Value)));
        }
        return scores;
    }
}
