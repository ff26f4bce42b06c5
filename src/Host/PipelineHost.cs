using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;
using Pipeline.Host.Plugins;
using Pipeline.Host.Running;
using Pipeline.Host.Runtime;

namespace Pipeline.Host;

/// <summary>
/// The embeddable host: finds plugins, composes definitions and runs them. The command line is a thin
/// layer over this class.
/// </summary>
/// <example>
/// <code>
/// var host = new PipelineHost();
/// var definition = PipelineDefinition.Load("examples/gmm-ddim.json");
/// using var pipeline = host.Compose(definition);
/// using var result = host.Sample(pipeline, p => Console.WriteLine(p.Step));
/// // result.Samples is a [count, ...shape] tensor on the CPU
/// </code>
/// </example>
public sealed class PipelineHost
{
    /// <summary>Environment variable with extra plugin folders, separated like PATH.</summary>
    public const string PluginPathVariable = "PIPELINE_PLUGINS";

    readonly List<string> folders;
    readonly IPluginAssemblyLoader? loader;
    readonly Dictionary<string, PluginCatalog> catalogs = [];

    public PipelineHost(IEnumerable<string>? pluginFolders = null, IPluginAssemblyLoader? loader = null, bool includeDefaults = true)
    {
        NativeBackend.Initialize();
        folders = (includeDefaults ? DefaultPluginFolders() : []).Concat(pluginFolders ?? []).Select(Path.GetFullPath).Distinct().ToList();
        this.loader = loader;
    }

    /// <summary>The host's own plugins/ folder and the folders in PIPELINE_PLUGINS.</summary>
    public static IReadOnlyList<string> DefaultPluginFolders()
    {
        var list = new List<string> { Path.Combine(AppContext.BaseDirectory, "plugins") };
        var extra = Environment.GetEnvironmentVariable(PluginPathVariable);
        if (!string.IsNullOrWhiteSpace(extra))
            list.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return list;
    }

    public IReadOnlyList<string> PluginFolders => folders;

    /// <summary>Plugins of the host's folders.</summary>
    public PluginCatalog Catalog => CatalogOf(folders);

    /// <summary>Plugins of the host's folders plus those the definition names.</summary>
    public PluginCatalog CatalogFor(PipelineDefinition definition) =>
        CatalogOf(folders.Concat(definition.PluginFolders()).Distinct().ToList());

    PluginCatalog CatalogOf(IReadOnlyList<string> set)
    {
        var key = string.Join('\n', set);
        lock (catalogs)
        {
            if (!catalogs.TryGetValue(key, out var catalog))
                catalogs[key] = catalog = PluginCatalog.Load(set, loader);
            return catalog;
        }
    }

    public ComposedPipeline Compose(PipelineDefinition definition) =>
        new PipelineComposer(CatalogFor(definition)).Compose(definition);

    public ComposedPipeline Compose(string json, string? baseDirectory = null) =>
        Compose(PipelineDefinition.Parse(json, baseDirectory));

    /// <summary>Composes a definition built in code; its relative paths are resolved against <paramref name="baseDirectory"/> (default: the current directory).</summary>
    public ComposedPipeline Compose(PipelineSpec spec, string? baseDirectory = null) =>
        Compose(spec.ToDefinition(baseDirectory));

    public RunResult Sample(ComposedPipeline pipeline, Action<RunProgress>? progress = null,
        CancellationToken cancellation = default, bool? recordTrajectory = null, bool synchronize = false) =>
        PipelineRunner.Run(pipeline, recordTrajectory ?? pipeline.Outputs.Trajectory, progress, cancellation, synchronize);

    /// <summary>
    /// Composes, runs and writes a definition's outputs into <paramref name="outputDirectory"/> (default: the
    /// definition's outputs.directory, else runs/&lt;name&gt;). Nothing is written unless the whole run succeeds;
    /// <paramref name="notice"/> hears about stale staging folders removed on the way.
    /// </summary>
    public string Run(PipelineDefinition definition, string? outputDirectory = null, bool? overwrite = null,
        Action<RunProgress>? progress = null, CancellationToken cancellation = default, Action<string>? notice = null)
    {
        var compose = System.Diagnostics.Stopwatch.StartNew();
        using var pipeline = Compose(definition);
        compose.Stop();
        var location = OutputOf(definition, outputDirectory);
        bool replace = overwrite ?? pipeline.Outputs.Overwrite;
        location.Check(replace);
        // Ctrl-C is honoured in every phase (sampling, metrics, writing) until the folder is moved into place.
        using var result = Sample(pipeline, progress, cancellation);
        var metrics = MetricScores.Score(pipeline, result, cancellation: cancellation);
        using var folder = OutputFolder.Begin(location, replace, "run", notice);
        RunWriter.Write(folder, pipeline, result, compose.Elapsed, metrics, cancellation);
        cancellation.ThrowIfCancellationRequested();
        folder.Commit();
        return location.Target;
    }

    /// <summary>Runs shard <paramref name="shard"/> of the definition into &lt;output folder&gt;.shard-K-of-N (see <see cref="Sharding.ShardRunner"/>).</summary>
    public string RunShard(PipelineDefinition definition, Sharding.ShardSpec shard, string? outputDirectory = null, bool? overwrite = null,
        Action<RunProgress>? progress = null, CancellationToken cancellation = default, Action<string>? notice = null) =>
        Sharding.ShardRunner.Run(this, definition, shard, outputDirectory, overwrite, progress, cancellation, notice);

    /// <summary>Merges shard folders into the files one run writes (see <see cref="Sharding.ShardMerger"/>).</summary>
    public string Merge(IReadOnlyList<string> shardFolders, string? outputDirectory = null, bool overwrite = false,
        Sharding.MergedMetrics metrics = Sharding.MergedMetrics.Samples, CancellationToken cancellation = default, Action<string>? notice = null) =>
        Sharding.ShardMerger.Merge(this, shardFolders, outputDirectory, overwrite, metrics, cancellation, notice);

    /// <summary>
    /// Where <see cref="Run"/> writes: <paramref name="outputDirectory"/> (relative to the current folder), else
    /// outputs.directory (relative to the definition's folder, like every path in a definition), else runs/&lt;name&gt;
    /// in the current folder.
    /// </summary>
    public static OutputLocation OutputOf(PipelineDefinition definition, string? outputDirectory = null) =>
        OutputLocation.Resolve(outputDirectory, (definition.Document["outputs"] as JObject)?["directory"], "$.outputs.directory", definition.BaseDirectory,
            Path.Combine("runs", definition.Name));

    /// <summary>A JSON Schema of definitions accepted by the loaded plugins.</summary>
    public JObject Schema() => SchemaWriter.Write(Catalog);
}
