using Pipeline.Host;
using Pipeline.Host.Optimization;
using Pipeline.Options;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>What offline optimizers see of a pipeline must be exactly what a run does.</summary>
public class OptimizationTargetTests
{
    const string Metric = ", \"metrics\": [ { \"type\": \"exact-ode-error\" } ]";

    [Fact]
    public void ScoreAtThePipelinesTimesIsTheRunsMetricAndOtherTimesChangeIt()
    {
        var host = new PipelineHost();
        using var pipeline = host.Compose(Definitions.Gmm(steps: 6, sampling: "\"count\": 40, \"seed\": 5, \"batchSize\": 16", extra: Metric));
        using var run = host.Sample(pipeline);
        double expected = (double)Pipeline.Host.Running.MetricScores.Score(pipeline, run).Properties().First().Value.First!.First!;

        var target = new OptimizationTarget(pipeline);
        var same = target.Score(pipeline.Times);
        Assert.Equal(expected, same.Value, 12);
        Assert.Equal(6, same.Nfe);

        // More steps between the same end points: a smaller error against the exact flow.
        var finer = Enumerable.Range(0, 13).Select(i => pipeline.Times[0] + (pipeline.Times[^1] - pipeline.Times[0]) * i / 12.0).ToArray();
        var better = target.Score(finer);
        Assert.Equal(12, better.Nfe);
        Assert.True(better.Value < same.Value / 1.5, $"12 steps {better.Value} vs 6 steps {same.Value}");
    }

    [Fact]
    public void InitialNoiseAndLabelsAreTheRunsOwn()
    {
        var host = new PipelineHost();
        using var pipeline = host.Compose(Definitions.Gmm(sampling: "\"count\": 10, \"seed\": 9, \"batchSize\": 4"));
        using var run = host.Sample(pipeline);
        var target = new OptimizationTarget(pipeline);
        using var part = target.InitialNoise(3, 5);
        using var expected = run.Initial.narrow(0, 3, 5);
        Assert.Equal(expected.data<float>().ToArray(), part.data<float>().ToArray());
        Assert.Null(target.Labels(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => target.InitialNoise(8, 5));
    }

    [Fact]
    public void BadTimesAndAMissingMetricAreInputErrors()
    {
        var host = new PipelineHost();
        using var withMetric = host.Compose(Definitions.Gmm(sampling: "\"count\": 4", extra: Metric));
        var target = new OptimizationTarget(withMetric);
        var e = Assert.Throws<PipelineInputException>(() => target.Score([0.5, 0.7, 0.1]));
        Assert.Contains("strictly decrease", e.Message);
        using var without = host.Compose(Definitions.Gmm(sampling: "\"count\": 4"));
        e = Assert.Throws<PipelineInputException>(() => new OptimizationTarget(without).Score(without.Times));
        Assert.Contains("metric", e.Message);
    }

    [Fact]
    public void OptimizeRefusesAnUnknownOptimizerAndUnknownKeysWithExitCode2()
    {
        using var dir = new TempFolder();
        var pipeline = dir.Write("p.json", Definitions.Gmm(sampling: "\"count\": 4"));
        var file = dir.Write("o.json", """{ "pipeline": "p.json", "optimizer": { "type": "autodifusion-typo" } }""");
        var r = Cli.Run("optimize", file, "--output", dir.File("out"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("autodifusion-typo", r.Err);
        Assert.False(Directory.Exists(dir.File("out")));

        file = dir.Write("o2.json", """{ "pipeline": "p.json", "optimiser": { "type": "x" } }""");
        r = Cli.Run("search", file, "--output", dir.File("out"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("optimizer", r.Err);
    }
}
