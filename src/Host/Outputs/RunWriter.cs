using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;
using Pipeline.Host.Running;
using Pipeline.IO;

namespace Pipeline.Host.Outputs;

/// <summary>Writes a run's outputs: samples.npy, trajectory.npy, grid.png, definition.resolved.json, report.json.</summary>
public static class RunWriter
{
    public const string ResolvedFile = "definition.resolved.json";
    public const string ReportFile = "report.json";
    public const string SamplesFile = "samples.npy";
    public const string TrajectoryFile = "trajectory.npy";
    public const string GridFile = "grid.png";

    /// <param name="cancellation">Checked between files and inside large arrays; the caller's folder is then never committed.</param>
    public static void Write(OutputFolder folder, ComposedPipeline pipeline, RunResult result, TimeSpan composeTime, JObject? metrics = null,
        CancellationToken cancellation = default)
    {
        var outputs = pipeline.Outputs;
        var write = System.Diagnostics.Stopwatch.StartNew();
        // In the run's dtype, so a float64 run keeps its digits on disk (bfloat16 goes out as float32, exactly; see NpyFile).
        cancellation.ThrowIfCancellationRequested();
        if (outputs.Samples) NpyFile.Write(folder.PathOf(SamplesFile), result.Samples, cancellation);
        if (result.Trajectory is { } trajectory) NpyFile.Write(folder.PathOf(TrajectoryFile), trajectory, cancellation);
        cancellation.ThrowIfCancellationRequested();
        if (outputs.Grid && ImageGrid.IsImage(pipeline.SampleShape))
        {
            var images = result.Samples;
            int columns = outputs.GridColumns ?? (int)Math.Ceiling(Math.Sqrt(pipeline.Count));
            if (pipeline.Sampling.LabelsInRows && pipeline.Model.Classes is int classes && pipeline.Labels is { } labels)
            {
                // One row per label: order the samples by label, keeping their order within a label.
                var order = Enumerable.Range(0, labels.Length).OrderBy(i => labels[i]).ThenBy(i => i).Select(i => (long)i).ToArray();
                images = result.Samples.index_select(0, TorchSharp.torch.tensor(order));
                columns = outputs.GridColumns ?? (pipeline.Count + classes - 1) / classes;
            }
            ImageGrid.WritePng(images, folder.PathOf(GridFile), columns, outputs.GridRange[0], outputs.GridRange[^1]);
            if (!ReferenceEquals(images, result.Samples)) images.Dispose();
        }
        cancellation.ThrowIfCancellationRequested();
        File.WriteAllText(folder.PathOf(ResolvedFile), pipeline.Resolved.ToString(Formatting.Indented));
        var report = Report(pipeline, result, composeTime, write.Elapsed);
        if (metrics is { Count: > 0 }) report["metrics"] = metrics;
        File.WriteAllText(folder.PathOf(ReportFile), report.ToString(Formatting.Indented));
        cancellation.ThrowIfCancellationRequested();
    }

    public static JObject Report(ComposedPipeline pipeline, RunResult result, TimeSpan composeTime, TimeSpan writeTime)
    {
        var env = pipeline.Environment;
        return new JObject
        {
            ["name"] = pipeline.Name,
            ["nfe"] = result.Nfe,
            ["evaluations"] = result.Evaluations,
            ["count"] = pipeline.Count,
            ["batchSize"] = pipeline.BatchSize,
            ["batches"] = result.Batches,
            ["steps"] = pipeline.Times.Count - 1,
            ["times"] = new JArray(pipeline.Times),
            ["device"] = env.Device.ToString(),
            ["dtype"] = env.DType.ToString(),
            ["timings"] = new JObject
            {
                ["composeSeconds"] = composeTime.TotalSeconds,
                ["samplingSeconds"] = result.SamplingTime.TotalSeconds,
                ["modelSeconds"] = result.ModelTime.TotalSeconds,
                ["writeSeconds"] = writeTime.TotalSeconds,
                ["stepSeconds"] = new JArray(result.StepSeconds),
            },
            ["versions"] = Versions(),
            ["seed"] = pipeline.Sampling.Seed,
            ["seeds"] = new JArray(pipeline.Seeds),
        };
    }

    public static JObject Versions() => new()
    {
        ["host"] = Informational(typeof(RunWriter).Assembly),
        ["abstractions"] = typeof(Pipeline.Plugins.IPluginExport).Assembly.GetName().Version?.ToString(),
        ["torchSharp"] = Informational(typeof(TorchSharp.torch).Assembly),
        ["libtorch"] = Runtime.NativeBackend.Source,
        ["dotnet"] = Environment.Version.ToString(),
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
    };

    static string? Informational(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? a.GetName().Version?.ToString();
}
