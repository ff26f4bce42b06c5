using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Optimization;

/// <summary>
/// Runs an optimization file: { "name", "pipeline": file or inline definition, "optimizer": { "type", ...options },
/// "metric": { "type", ... } (replaces the pipeline's metrics; optional for optimizers that score nothing),
/// "directory", "overwrite" }. The optimizer writes into a staging folder that is moved into place only when it
/// finishes; its resumable state lives beside the output folder until then.
/// </summary>
public static class OptimizationRunner
{
    static readonly string[] Keys = ["$schema", "name", "pipeline", "optimizer", "metric", "directory", "overwrite"];

    /// <summary>True when <paramref name="file"/> looks like an optimization file (it has an "optimizer" object).</summary>
    public static bool IsOptimization(PipelineDefinition file) => file.Document["optimizer"] is JObject;

    /// <summary>Composes the pipeline and builds and checks the optimizer without running it; returns a one-line description.</summary>
    public static string Validate(PipelineHost host, PipelineDefinition file, string? outputDirectory = null, bool overwrite = false)
    {
        CheckKeys(file.Document);
        OutputOf(file, outputDirectory).Check(overwrite || (bool?)file.Document["overwrite"] == true);
        var (pipeline, optimizer, written, _) = Prepare(host, file);
        using (pipeline)
        {
            (optimizer as IDisposable)?.Dispose();
            return $"{written["type"]} on {pipeline.Name}: {pipeline.Times.Count - 1} steps of {pipeline.Resolved["solver"]!["type"]}, " +
                   $"{pipeline.Count} samples, metric {(pipeline.Metrics.Count > 0 ? (string?)pipeline.Resolved["metrics"]![0]!["type"] : "none")}";
        }
    }

    /// <returns>The output folder and the optimizer's summary.</returns>
    public static (string Folder, IReadOnlyDictionary<string, object?> Summary) Run(PipelineHost host, PipelineDefinition file,
        string? outputDirectory = null, bool overwrite = false, Action<OptimizationProgress>? progress = null, CancellationToken cancellation = default,
        Action<string>? notice = null)
    {
        var doc = file.Document;
        CheckKeys(doc);
        var location = OutputOf(file, outputDirectory);
        var target = location.Target;
        bool replace = overwrite || (bool?)doc["overwrite"] == true;
        location.Check(replace);

        var clock = Stopwatch.StartNew();
        var (pipeline, optimizer, written, catalog) = Prepare(host, file);
        using var _ = pipeline;
        try
        {
            var state = StateFolder(target);
            if (replace && Directory.Exists(state)) Directory.Delete(state, recursive: true);
            Directory.CreateDirectory(state);
            using var folder = OutputFolder.Begin(location, replace, "optimize", notice);
            var summary = optimizer.Optimize(new OptimizationContext
            {
                Target = new OptimizationTarget(pipeline, catalog), OutputDirectory = folder.Staging, StateDirectory = state,
                Progress = progress, Cancellation = cancellation,
            });
            var resolved = new JObject
            {
                ["name"] = file.Name, ["pipeline"] = pipeline.Resolved, ["optimizer"] = written,
            };
            if (doc["metric"] is { } m) resolved["metric"] = m.DeepClone();
            File.WriteAllText(folder.PathOf("optimization.resolved.json"), resolved.ToString());
            File.WriteAllText(folder.PathOf("report.json"), new JObject
            {
                ["name"] = file.Name,
                ["optimizer"] = written["type"],
                ["summary"] = JToken.FromObject(summary),
                ["seconds"] = clock.Elapsed.TotalSeconds,
                ["device"] = pipeline.Environment.Device.ToString(),
                ["versions"] = RunWriter.Versions(),
            }.ToString());
            folder.Commit();
            Directory.Delete(state, recursive: true);
            return (target, summary);
        }
        finally
        {
            (optimizer as IDisposable)?.Dispose();
        }
    }

    /// <summary>Where an optimization writes: --output, else "directory" (relative to the file), else runs/&lt;name&gt;-optimize.</summary>
    public static OutputLocation OutputOf(PipelineDefinition file, string? outputDirectory = null) =>
        OutputLocation.Resolve(outputDirectory, file.Document["directory"], "$.directory", file.BaseDirectory, Path.Combine("runs", file.Name + "-optimize"));

    static void CheckKeys(JObject doc)
    {
        foreach (var p in doc.Properties())
            if (!Keys.Contains(p.Name))
                throw DefinitionError.At(p, $"unknown key '{p.Name}' in an optimization file.{NameSuggester.Hint(p.Name, Keys)} (keys: {string.Join(", ", Keys.Skip(1))})");
        if (doc["overwrite"] is { } ow && ow.Type != JTokenType.Boolean)
            throw DefinitionError.At(ow, "\"overwrite\" must be true or false");
        if (doc["directory"] is { } dir && dir.Type != JTokenType.String)
            throw DefinitionError.At(dir, "\"directory\" must be a folder path");
    }

    /// <summary>The pipeline (the file's metric replacing its metrics) and the optimizer, built and checked; keys are checked by the caller.</summary>
    static (Composition.ComposedPipeline Pipeline, IOfflineOptimizer Optimizer, JObject Written, Plugins.PluginCatalog Catalog) Prepare(PipelineHost host, PipelineDefinition file)
    {
        var doc = file.Document;
        var spec = doc["optimizer"] as JObject
            ?? throw DefinitionError.At(doc["optimizer"] ?? doc, "an optimization file needs \"optimizer\": { \"type\": ... } naming an offline optimizer (run 'list offline-optimizer')", "$.optimizer");
        var referenced = PipelineDefinition.Referenced(doc["pipeline"], file, "an optimization file");
        var pipelineDoc = (JObject)referenced.Document.DeepClone();
        if (doc["metric"] is { } metric)
        {
            if (metric is not JObject) throw DefinitionError.At(metric, "\"metric\" must be an object { \"type\": ... }");
            pipelineDoc["metrics"] = new JArray(metric.DeepClone());
        }
        pipelineDoc.Remove("outputs");
        var definition = new PipelineDefinition(pipelineDoc, referenced.BaseDirectory, referenced.Name, referenced.SourceFile);

        var pipeline = host.Compose(definition);
        try
        {
            var catalog = host.CatalogFor(definition);
            var composer = new Composition.PipelineComposer(catalog);
            var (optimizer, written) = composer.BuildPlugin<IOfflineOptimizer>(spec, PluginKinds.OfflineOptimizer, pipeline.Environment);
            var problems = optimizer.Check(new OptimizationTarget(pipeline, catalog)).ToList();
            if (problems.Count > 0)
            {
                (optimizer as IDisposable)?.Dispose();
                throw DefinitionError.At(spec, $"{written["type"]} cannot run on this pipeline: {string.Join("; ", problems)}");
            }
            return (pipeline, optimizer, written, catalog);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    /// <summary>Where an optimization into <paramref name="target"/> keeps its resumable state: a hidden folder beside it.</summary>
    public static string StateFolder(string target)
    {
        target = Path.GetFullPath(target);
        return Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.state");
    }
}
