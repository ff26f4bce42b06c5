using Pipeline.Host;
using Pipeline.Metrics;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>
/// Metrics over shards (docs/scale.md): the float64 sums of disjoint parts of a run, added, equal the sums of the whole
/// run to float64 rounding, and score what the metric scores on all samples at once: exactly the same reductions, in
/// another order of additions.
/// </summary>
public class MergedStatisticsTests
{
    /// <summary>Uneven parts, like shards of a run whose last batch is short.</summary>
    static readonly int[] Parts = [100, 37, 163, 100];

    static MetricStatistics Merged(IMergeableMetric metric, MetricContext all)
    {
        MetricStatistics? total = null;
        int start = 0;
        foreach (int size in Parts)
        {
            using var samples = all.Samples.narrow(0, start, size);
            using var initial = all.Initial.narrow(0, start, size);
            using var labels = all.Labels?.narrow(0, start, size);
            var part = metric.Accumulate(all with { Samples = samples, Initial = initial, Labels = labels });
            total = total is null ? part : total.Plus(part);
            start += size;
        }
        Assert.Equal((int)all.Samples.shape[0], start);
        return total!;
    }

    static void AssertSumsEqual(MetricStatistics whole, MetricStatistics merged)
    {
        Assert.Equal(whole.Sums.Keys, merged.Sums.Keys);
        foreach (var (name, values) in whole.Sums)
        {
            double scale = values.Max(Math.Abs);
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - merged[name][i]) <= 1e-13 * scale, $"{name}[{i}]: {merged[name][i]} merged against {values[i]}");
        }
    }

    static void AssertClose(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Abs(expected), $"{what}: {actual} from sums against {expected}");

    [Fact]
    public void MixtureMomentsFromMergedSumsEqualTheSingleProcessScores()
    {
        var host = new PipelineHost();
        using var pipeline = host.Compose(Definitions.Gmm(solver: "\"type\": \"ddpm\"", sampling: "\"count\": 400, \"seed\": 3",
            extra: ", \"metrics\": [ { \"type\": \"gmm-distance\" } ]"));
        using var result = host.Sample(pipeline);
        var metric = Assert.IsAssignableFrom<IMergeableMetric>(pipeline.Metrics[0]);
        var all = new MetricContext(result.Samples, result.Initial, pipeline.Denoiser, pipeline.Times, null);
        var merged = Merged(metric, all);
        AssertSumsEqual(metric.Accumulate(all), merged);
        Assert.Equal(400.0, merged["sample-count"][0]);

        var exact = metric.Score(all);
        var fromSums = metric.Score(merged, new MetricPlan(pipeline.Denoiser, pipeline.SampleShape, pipeline.Times));
        foreach (var score in new[] { "moment-error", "mean-error", "cov-error" }) AssertClose(exact[score], fromSums[score], 1e-12, score);
        Assert.False(fromSums.ContainsKey("sliced-w2"));
    }

    [Fact]
    public void FrechetStatisticsFromMergedSumsEqualTheSingleProcessOnes()
    {
        var root = PluginBuilds.RepoRoot;
        var host = new PipelineHost();
        // LeNet one image at a time, so that parts and whole see the same float32 features (its kernels, like the UNet's,
        // round differently at other batch sizes); the test is then about the merge of the sums alone.
        using var pipeline = host.Compose($$"""
            {
              "model": { "type": "mnist-unet" },
              "noiseSchedule": { "type": "discrete", "betaSchedule": "linear" },
              "timeSteps": { "type": "time-uniform", "steps": 1 },
              "solver": { "type": "ddim" },
              "metrics": [ { "type": "mnist-fid", "batchSize": 1 } ],
              "sampling": { "count": 400, "seed": 1, "labelsInRows": true, "device": "cpu" }
            }
            """, root);
        using var generator = new torch.Generator(12);
        using var images = torch.rand([400, 1, 28, 28], generator: generator);
        using TorchSharp.Scalar two = 2.0, one = 1.0;
        using var samples = images.mul(two).sub(one);
        using var labels = torch.tensor(pipeline.Labels!);
        var metric = Assert.IsAssignableFrom<IMergeableMetric>(pipeline.Metrics[0]);
        var all = new MetricContext(samples, samples, pipeline.Denoiser, pipeline.Times, labels);
        var merged = Merged(metric, all);
        AssertSumsEqual(metric.Accumulate(all), merged);

        var exact = metric.Score(all);
        var fromSums = metric.Score(merged, new MetricPlan(pipeline.Denoiser, pipeline.SampleShape, pipeline.Times));
        Assert.Equal(exact["accuracy"], fromSums["accuracy"]);
        AssertClose(exact["diversity"], fromSums["diversity"], 1e-10, "diversity");
        // The distance goes through a matrix square root, which turns float64 rounding of the covariance into more.
        AssertClose(exact["frechet-distance"], fromSums["frechet-distance"], 1e-9, "frechet-distance");
    }
}
