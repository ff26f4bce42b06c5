using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;
using Pipeline.Host.Running;
using Pipeline.Host.Runtime;
using Pipeline.IO;
using Pipeline.Metrics;
using Pipeline.Options;
using TorchSharp;

namespace Pipeline.Host.Sharding;

/// <summary>Where a merge takes the metric scores from.</summary>
public enum MergedMetrics
{
    /// <summary>Every metric scores the merged samples, as the single run does: the report's metrics are the single run's.</summary>
    Samples,

    /// <summary>
    /// Mergeable metrics score the added shard sums (equal to the single run's to float64 rounding, without the scores
    /// sums cannot give); the others score the merged samples.
    /// </summary>
    Statistics,
}

/// <summary>
/// <c>pipeline merge</c>: checks that shard folders belong to one definition and cover each of its shards once, each
/// complete and unaltered (<see cref="ShardManifest.Read"/>), then writes the files the single run writes through the same
/// writer (<see cref="RunWriter"/>): samples.npy, trajectory.npy, grid.png and definition.resolved.json bit for bit,
/// report.json the same but for its timings (sums over the shards) and, with <see cref="MergedMetrics.Statistics"/>,
/// its metrics.
/// </summary>
public static partial class ShardMerger
{
    [GeneratedRegex(@"\.shard-(\d+)-of-(\d+)$")]
    private static partial Regex ShardSuffix();

    public static string Merge(PipelineHost host, IReadOnlyList<string> folders, string? outputDirectory = null, bool overwrite = false,
        MergedMetrics metrics = MergedMetrics.Samples, CancellationToken cancellation = default, Action<string>? notice = null)
    {
        if (folders.Count == 0) throw new PipelineInputException("'merge' takes the shard folders to merge (e.g. runs/name.shard-*-of-4); see --help");
        var shards = Check(folders.Select(ShardManifest.Read).ToList());
        var location = OutputLocation.Resolve(outputDirectory ?? DefaultOutput(shards), null, "--output", null, "");
        location.Check(overwrite);

        var first = shards[0];
        var definition = PipelineDefinition.Load(Path.Combine(first.Folder, RunWriter.ResolvedFile));
        using var pipeline = host.Compose(definition);
        using var result = Gather(pipeline, shards);
        var given = metrics == MergedMetrics.Statistics ? FromStatistics(pipeline, shards) : null;
        var scores = MetricScores.Score(pipeline, result, cancellation: cancellation, given: given);
        using var folder = OutputFolder.Begin(location, overwrite, "merge", notice);
        var compose = TimeSpan.FromSeconds(shards.Sum(s => (double)s.Run["composeSeconds"]!));
        RunWriter.Write(folder, pipeline, result, compose, scores, cancellation);
        if (given is { Count: > 0 })
        {
            // Say so where it differs from the single run's report.
            var reportFile = folder.PathOf(RunWriter.ReportFile);
            var report = JObject.Parse(File.ReadAllText(reportFile));
            report["metricsFrom"] = new JObject(given.Keys.Select(i => new JProperty((string)pipeline.Resolved["metrics"]![i]!["type"]!, "shard statistics")));
            File.WriteAllText(reportFile, report.ToString(Formatting.Indented));
        }
        cancellation.ThrowIfCancellationRequested();
        folder.Commit();
        return location.Target;
    }

    /// <summary>The shards ordered by index, after checking they are one definition's, each shard once, with the ranges the plan gives.</summary>
    static List<ShardManifest> Check(List<ShardManifest> shards)
    {
        var first = shards[0];
        foreach (var s in shards)
        {
            if (s.DefinitionSha256 != first.DefinitionSha256)
                throw new PipelineInputException(
                    $"shard folder '{s.Folder}' belongs to another definition than '{first.Folder}' (definition SHA-256 {s.DefinitionSha256[..12]}... against {first.DefinitionSha256[..12]}...); " +
                    "merge only the shards of one run", s.Folder);
            if (s.Shard.Count != first.Shard.Count)
                throw new PipelineInputException($"shard folder '{s.Folder}' is shard {s.Shard} but '{first.Folder}' is shard {first.Shard}: the run was split in two ways; merge one split", s.Folder);
            foreach (var key in new[] { "host", "abstractions", "torchSharp", "libtorch" })
                if (!JToken.DeepEquals(s.Versions[key], first.Versions[key]))
                    throw new PipelineInputException(
                        $"shard folder '{s.Folder}' was written with {key} {s.Versions[key]} but '{first.Folder}' with {first.Versions[key]}; run every shard with one build", s.Folder);
            if (s.Range != s.Shard.RangeIn(s.Samples, s.BatchSize))
                throw new PipelineInputException($"shard folder '{s.Folder}' holds samples {s.Range}, not those of shard {s.Shard}; run that shard again", s.Folder);
        }
        var byIndex = new ShardManifest?[first.Shard.Count];
        foreach (var s in shards)
        {
            if (byIndex[s.Shard.Index] is { } twin)
                throw new PipelineInputException($"shard {s.Shard} is given twice: '{twin.Folder}' and '{s.Folder}'; give each shard once", s.Folder);
            byIndex[s.Shard.Index] = s;
        }
        var missing = Enumerable.Range(0, byIndex.Length).Where(i => byIndex[i] is null).ToList();
        if (missing.Count > 0)
        {
            var expected = string.Join(", ", missing.Select(i => $"'{ExpectedFolder(first, new ShardSpec(i, first.Shard.Count))}'"));
            throw new PipelineInputException(
                $"shard{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing.Select(i => $"{i}/{first.Shard.Count}"))} of the run of '{first.Folder}' " +
                $"{(missing.Count == 1 ? "is" : "are")} missing (expected {expected}); run {(missing.Count == 1 ? "it" : "them")} with --shard and merge again", first.Folder);
        }
        return byIndex.Select(s => s!).ToList();
    }

    /// <summary>The folder name a shard of the same split would have beside <paramref name="known"/>.</summary>
    static string ExpectedFolder(ShardManifest known, ShardSpec shard) =>
        ShardSuffix().IsMatch(known.Folder) ? ShardSuffix().Replace(known.Folder, shard.FolderSuffix) : shard.FolderSuffix;

    /// <summary>The folder the shards' names share without their ".shard-K-of-N" (runs/name), or an error asking for --output.</summary>
    static string DefaultOutput(List<ShardManifest> shards)
    {
        var bases = shards.Select(s => ShardSuffix().IsMatch(s.Folder) ? ShardSuffix().Replace(s.Folder, "") : null).Distinct().ToList();
        return bases is [{ } common] ? common
            : throw new PipelineInputException("the shard folders do not share one name ending in .shard-K-of-N, so the merged folder cannot be named after them; give --output DIR", "--output");
    }

    /// <summary>The shards' samples (and trajectories) in index order, x_T redrawn from the seeds, and the run's figures added up.</summary>
    static RunResult Gather(ComposedPipeline pipeline, List<ShardManifest> shards)
    {
        using var scope = torch.NewDisposeScope();
        var samples = new List<torch.Tensor>();
        var trajectories = new List<torch.Tensor>();
        var stored = NpyFile.StoredType(pipeline.Environment.DType);
        long[] Expected(ShardManifest s) => [s.Range.Count, .. pipeline.SampleShape];
        foreach (var s in shards)
        {
            var x = ReadArray(s, RunWriter.SamplesFile, Expected(s), stored);
            samples.Add(x);
            if (pipeline.Outputs.Trajectory)
                trajectories.Add(ReadArray(s, RunWriter.TrajectoryFile, [pipeline.Times.Count, .. Expected(s)], stored));
        }
        var initial = new List<torch.Tensor>();
        for (int start = 0; start < pipeline.Count; start += pipeline.BatchSize)
        {
            int size = Math.Min(pipeline.BatchSize, pipeline.Count - start);
            using var noise = new PerSampleNoise(pipeline.Seeds[start..(start + size)], torch.CPU, pipeline.Environment.DType);
            initial.Add(InitialState.Of(pipeline, noise, start, size, pipeline.Times[0]).cpu());
        }
        int batches = shards.Sum(s => (int)s.Run["batches"]!);
        var stepSeconds = new double[pipeline.Times.Count - 1];
        foreach (var s in shards)
        {
            var steps = s.Run["stepSeconds"]!.Select(v => (double)v).ToArray();
            for (int i = 0; i < Math.Min(steps.Length, stepSeconds.Length); i++) stepSeconds[i] += steps[i] * (int)s.Run["batches"]! / batches;
        }
        var result = new RunResult
        {
            Samples = torch.cat(samples, 0).to(pipeline.Environment.DType).DetachFromDisposeScope(),
            Initial = torch.cat(initial, 0).DetachFromDisposeScope(),
            Trajectory = trajectories.Count > 0 ? torch.cat(trajectories, 1).to(pipeline.Environment.DType).DetachFromDisposeScope() : null,
            Nfe = shards.Max(s => (int)s.Run["nfe"]!),
            Evaluations = shards.Sum(s => (long)s.Run["evaluations"]!),
            SamplingTime = TimeSpan.FromSeconds(shards.Sum(s => (double)s.Run["samplingSeconds"]!)),
            ModelTime = TimeSpan.FromSeconds(shards.Sum(s => (double)s.Run["modelSeconds"]!)),
            StepSeconds = stepSeconds,
            Batches = batches,
        };
        return result;
    }

    static torch.Tensor ReadArray(ShardManifest shard, string file, long[] shape, torch.ScalarType stored)
    {
        var path = Path.Combine(shard.Folder, file);
        if (!shard.Files.ContainsKey(file))
            throw new PipelineInputException($"shard folder '{shard.Folder}' has no {file}, which the definition asks for; run that shard again", shard.Folder);
        torch.Tensor x;
        try { x = NpyFile.Read(path); }
        catch (PipelineInputException e) { throw new PipelineInputException($"shard folder '{shard.Folder}': {e.Message}", shard.Folder, e); }
        if (!x.shape.SequenceEqual(shape) || x.dtype != stored)
        {
            var found = $"[{string.Join(", ", x.shape)}] {x.dtype}";
            x.Dispose();
            throw new PipelineInputException($"shard folder '{shard.Folder}': {file} is {found}, but shard {shard.Shard} of this definition has [{string.Join(", ", shape)}] {stored}; run that shard again", shard.Folder);
        }
        return x;
    }

    /// <summary>Scores of each mergeable metric from the shards' sums added in shard order.</summary>
    static Dictionary<int, IReadOnlyDictionary<string, double>> FromStatistics(ComposedPipeline pipeline, List<ShardManifest> shards)
    {
        var perShard = shards.Select(s => (s, MetricStatisticsFile.Read(s.Folder))).ToList();
        var scores = new Dictionary<int, IReadOnlyDictionary<string, double>>();
        var plan = new MetricPlan(pipeline.Denoiser, pipeline.SampleShape, pipeline.Times);
        for (int i = 0; i < pipeline.Metrics.Count; i++)
        {
            if (pipeline.Metrics[i] is not IMergeableMetric metric) continue;
            MetricStatistics? total = null;
            foreach (var (shard, statistics) in perShard)
            {
                if (!statistics.TryGetValue(i, out var part))
                    throw new PipelineInputException($"shard folder '{shard.Folder}' has no statistics of metric {i} ({pipeline.Resolved["metrics"]![i]!["type"]}); run that shard again, or merge with --metrics samples", shard.Folder);
                try { total = total is null ? part : total.Plus(part); }
                catch (ArgumentException e) { throw new PipelineInputException($"shard folder '{shard.Folder}': {e.Message}", shard.Folder, e); }
            }
            scores[i] = metric.Score(total!, plan);
        }
        return scores;
    }
}
