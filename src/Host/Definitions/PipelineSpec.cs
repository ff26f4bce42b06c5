using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;

namespace Pipeline.Host.Definitions;

/// <summary>
/// A pipeline definition built in code: the sections of the JSON format as typed properties, for programs that embed
/// the host. It round-trips with the JSON format (<see cref="FromJson"/>, <see cref="ToJson"/>): a definition file read
/// into a spec and written back composes to the same resolved definition, and a spec runs like the file it writes.
/// </summary>
/// <example>
/// <code>
/// var spec = new PipelineSpec
/// {
///     Name = "gmm-ddim",
///     Model = new PluginSpec("gmm", new { Weights = new[] { 0.5, 0.5 }, Means = new[] { new[] { -1.0 }, new[] { 1.0 } }, Stds = new[] { new[] { 0.3 } } }),
///     NoiseSchedule = new PluginSpec("discrete", new { BetaSchedule = "linear" }),
///     TimeSteps = new PluginSpec("logsnr-uniform", new { Steps = 20 }),
///     Solver = new PluginSpec("ddim"),
///     Sampling = new SamplingSettings { Count = 100, Seed = 0 },
/// };
/// using var pipeline = new PipelineHost().Compose(spec);
/// </code>
/// </example>
public sealed class PipelineSpec
{
    /// <summary>The run's name (the default output folder is runs/&lt;name&gt;); null = "pipeline", or the file's name.</summary>
    public string? Name { get; set; }

    /// <summary>Extra plugin folders, relative to the definition's folder.</summary>
    public List<string> Plugins { get; set; } = [];

    /// <summary>The model ("model").</summary>
    public required PluginSpec Model { get; set; }

    /// <summary>The noise schedule ("noiseSchedule").</summary>
    public required PluginSpec NoiseSchedule { get; set; }

    /// <summary>The time-step schedule ("timeSteps").</summary>
    public required PluginSpec TimeSteps { get; set; }

    /// <summary>The solver ("solver").</summary>
    public required PluginSpec Solver { get; set; }

    /// <summary>Guidance applied around the model, in order ("guidance").</summary>
    public List<PluginSpec> Guidance { get; set; } = [];

    /// <summary>Online optimizers wrapped around the solver, in order ("optimizers").</summary>
    public List<PluginSpec> Optimizers { get; set; } = [];

    /// <summary>Metrics scored on the samples ("metrics").</summary>
    public List<PluginSpec> Metrics { get; set; } = [];

    /// <summary>The "sampling" section; null = its defaults.</summary>
    public SamplingSettings? Sampling { get; set; }

    /// <summary>The "outputs" section; null = its defaults.</summary>
    public OutputSettings? Outputs { get; set; }

    /// <summary>The "files" record of a resolved definition (input files with their SHA-256), kept so a rerun checks them; usually null.</summary>
    public JObject? Files { get; set; }

    /// <summary>The definition in the JSON format; sections left at null or empty are not written.</summary>
    public JObject ToJson()
    {
        var o = new JObject();
        if (Name is not null) o["name"] = Name;
        if (Plugins.Count > 0) o["plugins"] = new JArray(Plugins);
        o["model"] = Required(Model, "Model").ToJson();
        o["noiseSchedule"] = Required(NoiseSchedule, "NoiseSchedule").ToJson();
        o["timeSteps"] = Required(TimeSteps, "TimeSteps").ToJson();
        o["solver"] = Required(Solver, "Solver").ToJson();
        if (Guidance.Count > 0) o["guidance"] = new JArray(Guidance.Select(g => g.ToJson()));
        if (Optimizers.Count > 0) o["optimizers"] = new JArray(Optimizers.Select(g => g.ToJson()));
        if (Metrics.Count > 0) o["metrics"] = new JArray(Metrics.Select(g => g.ToJson()));
        if (Sampling is not null) o["sampling"] = OptionsBinder.Write(Sampling);
        if (Outputs is not null) o["outputs"] = OptionsBinder.Write(Outputs);
        if (Files is not null) o[FileLedger.Section] = Files.DeepClone();
        return o;
    }

    /// <summary>
    /// The definition the host composes, with relative paths (plugin folders, input files, outputs.directory) resolved
    /// against <paramref name="baseDirectory"/> (default: the current directory), as for a file in that folder.
    /// </summary>
    /// <param name="baseDirectory">The folder relative paths refer to.</param>
    /// <param name="name">The run's name when <see cref="Name"/> is null (a file's definition takes the file's name).</param>
    public PipelineDefinition ToDefinition(string? baseDirectory = null, string name = "pipeline") =>
        new(ToJson(), baseDirectory ?? Directory.GetCurrentDirectory(), name);

    /// <summary>
    /// The typed form of a definition document. Sections are checked for shape here (a missing required section, a
    /// component without "type", a bad sampling value) with the JSON path of the problem; plugin options are checked
    /// when the pipeline is composed.
    /// </summary>
    public static PipelineSpec FromJson(JObject document)
    {
        PipelineDefinition.CheckSections(document);
        return new PipelineSpec
        {
            Name = document["name"] switch
            {
                null => null,
                JValue { Type: JTokenType.String } n => (string?)n,
                var other => throw DefinitionError.At(other, "\"name\" must be a string: a plain file name for the output folder"),
            },
            Plugins = document["plugins"] switch
            {
                null => [],
                JArray a when a.All(t => t.Type == JTokenType.String) => a.Select(t => (string)t!).ToList(),
                var other => throw DefinitionError.At(other, "'plugins' must be an array of folder paths"),
            },
            Model = Component(document, "model"),
            NoiseSchedule = Component(document, "noiseSchedule"),
            TimeSteps = Component(document, "timeSteps"),
            Solver = Component(document, "solver"),
            Guidance = Components(document, "guidance"),
            Optimizers = Components(document, "optimizers"),
            Metrics = Components(document, "metrics"),
            Sampling = document["sampling"] is { } s ? OptionsBinder.Bind<SamplingSettings>(PipelineComposer.AsObject(s, "sampling"), "sampling") : null,
            Outputs = document["outputs"] is { } o ? OptionsBinder.Bind<OutputSettings>(PipelineComposer.AsObject(o, "outputs"), "outputs") : null,
            Files = (JObject?)FileLedger.Checked(document[FileLedger.Section])?.DeepClone(),
        };
    }

    /// <summary>The typed form of a parsed definition (<see cref="PipelineDefinition.Load"/>, <see cref="PipelineDefinition.Parse"/>).</summary>
    public static PipelineSpec FromDefinition(PipelineDefinition definition) => FromJson(definition.Document);

    static PluginSpec Required(PluginSpec? spec, string property) =>
        spec ?? throw new InvalidOperationException($"PipelineSpec.{property} is not set; every definition names a {property}");

    static PluginSpec Component(JObject document, string section) => PluginSpec.FromJson(document[section]!, section);

    static List<PluginSpec> Components(JObject document, string section) => document[section] switch
    {
        null => [],
        JArray items => items.Select(item => PluginSpec.FromJson(item, section)).ToList(),
        var other => throw DefinitionError.At(other, $"'{section}' must be an array of {{ \"type\": ... }} objects"),
    };
}
