using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;
using Pipeline.Host.Running;
using Pipeline.Metrics;
using Pipeline.IO;

namespace Pipeline.Host.Sharding;

/// <summary>
/// Runs one shard of a definition (<c>pipeline run --shard K/N</c>): the samples of <see cref="ShardSpec.RangeIn"/>, each
/// from its own seed exactly as in the single run, into &lt;output folder&gt;.shard-K-of-N with samples.npy (the shard's
/// rows), trajectory.npy on request, the same definition.resolved.json as the single run, the shard's report.json, the
/// sums of every mergeable metric (<see cref="MetricStatisticsFile"/>) and, last, <see cref="ShardManifest"/>.
/// </summary>
public static class ShardRunner
{
    public static string Run(PipelineHost host, PipelineDefinition definition, ShardSpec shard, string? outputDirectory = null, bool? overwrite = null,
        Action<RunProgress>? progress = null, CancellationToken cancellation = default, Action<string>? notice = null)
    {
        // A random seed would be drawn anew by every shard: the shards must agree on it before they start.
        var sampling = definition.Document["sampling"] as JObject;
        if (sampling?["seed"] is not { Type: not JTokenType.Null } && sampling?["seeds"] is not { Type: not JTokenType.Null })
            throw new Options.PipelineInputException(
                "--shard needs fixed seeds, so that every shard draws the noise the single run would: set sampling.seed (or sampling.seeds) in the definition",
                "$.sampling.seed");
        var compose = System.Diagnostics.Stopwatch.StartNew();
        using var pipeline = host.Compose(definition);
        compose.Stop();
        var location = PipelineHost.OutputOf(definition, outputDirectory).WithSuffix(shard.FolderSuffix);
        bool replace = overwrite ?? pipeline.Outputs.Overwrite;
        location.Check(replace);
        var range = shard.RangeIn(pipeline.Count, pipeline.BatchSize);

        using var result = PipelineRunner.Run(pipeline, pipeline.Outputs.Trajectory, progress, cancellation, range: range);
        var statistics = Statistics(pipeline, result, range, cancellation);
        using var folder = OutputFolder.Begin(location, replace, $"run --shard {shard}", notice);
        var write = System.Diagnostics.Stopwatch.StartNew();
        // The samples always: the merge needs them for the grid, the other metrics and samples.npy.
        NpyFile.Write(folder.PathOf(RunWriter.SamplesFile), result.Samples, cancellation);
        if (result.Trajectory is { } trajectory) NpyFile.Write(folder.PathOf(RunWriter.TrajectoryFile), trajectory, cancellation);
        cancellation.ThrowIfCancellationRequested();
        File.WriteAllText(folder.PathOf(RunWriter.ResolvedFile), pipeline.Resolved.ToString(Formatting.Indented));
        if (statistics.Count > 0) MetricStatisticsFile.Write(folder.PathOf(MetricStatisticsFile.FileName), statistics);
        var report = RunWriter.Report(pipeline, result, compose.Elapsed, write.Elapsed);
        report["count"] = range.Count;
        report["seeds"] = new JArray(pipeline.Seeds[range.Start..range.End]);
        report["shard"] = new JObject { ["index"] = shard.Index, ["count"] = shard.Count, ["start"] = range.Start, ["end"] = range.End };
        File.WriteAllText(folder.PathOf(RunWriter.ReportFile), report.ToString(Formatting.Indented));
        ShardManifest.Write(folder.Staging, shard, range, pipeline.Count, pipeline.BatchSize, pipeline.Sampling.Seed, pipeline.Seeds[range.Start..range.End],
            pipeline.Environment.Device.ToString(), Figures(result, compose.Elapsed));
        cancellation.ThrowIfCancellationRequested();
        folder.Commit();
        return location.Target;
    }

    /// <summary>The run's figures the merge adds up into the merged report.</summary>
    static JObject Figures(RunResult result, TimeSpan compose) => new()
    {
        ["nfe"] = result.Nfe,
        ["evaluations"] = result.Evaluations,
        ["batches"] = result.Batches,
        ["composeSeconds"] = compose.TotalSeconds,
        ["samplingSeconds"] = result.SamplingTime.TotalSeconds,
        ["modelSeconds"] = result.ModelTime.TotalSeconds,
        ["stepSeconds"] = new JArray(result.StepSeconds),
    };

    /// <summary>The sums of each mergeable metric over the shard's samples, by the metric's index in the definition.</summary>
    static List<(int, string, MetricStatistics)> Statistics(ComposedPipeline pipeline, RunResult result, SampleRange range, CancellationToken cancellation)
    {
        var list = new List<(int, string, MetricStatistics)>();
        for (int i = 0; i < pipeline.Metrics.Count; i++)
        {
            if (pipeline.Metrics[i] is not IMergeableMetric metric) continue;
            cancellation.ThrowIfCancellationRequested();
            using var labels = pipeline.Labels is { } l ? TorchSharp.torch.tensor(l[range.Start..range.End]) : null;
            var context = new MetricContext(result.Samples, result.Initial, pipeline.Denoiser, pipeline.Times, labels) { Cancellation = cancellation };
            list.Add((i, (string)pipeline.Resolved["metrics"]![i]!["type"]!, metric.Accumulate(context)));
        }
        return list;
    }
}
