using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;

namespace Pipeline.Host.Training;

/// <summary>
/// A training file: <see cref="TrainingSettings"/> plus "name", "architecture" (the network's sizes, handed to
/// the plugin that builds it) and "noiseSchedule" (a noise-schedule plugin, for networks that see noisy
/// inputs; default the discrete linear-beta schedule with 1000 steps).
/// </summary>
public sealed class TrainingDefinition
{
    static readonly string[] Extra = ["$schema", "name", "architecture", "noiseSchedule", ProgressiveDistillationTrainer.Section, ConsistencySettings.Section];

    TrainingDefinition(string name, string baseDirectory, JObject document, TrainingSettings settings, JObject? architecture, JObject noiseSchedule)
    {
        Name = name;
        BaseDirectory = baseDirectory;
        Document = document;
        Settings = settings;
        Architecture = architecture;
        NoiseSchedule = noiseSchedule;
    }

    public string Name { get; }
    public string BaseDirectory { get; }
    public JObject Document { get; }
    public TrainingSettings Settings { get; }
    public JObject? Architecture { get; }
    public JObject NoiseSchedule { get; }

    public static TrainingDefinition Load(string path)
    {
        var parsed = PipelineDefinition.Load(path); // JSON with line information; nothing pipeline-specific is checked
        var name = Path.GetFileNameWithoutExtension(path);
        if (name.EndsWith(".train", StringComparison.OrdinalIgnoreCase)) name = name[..^".train".Length];
        return From(parsed.Document, parsed.BaseDirectory, name, path);
    }

    public static TrainingDefinition Parse(string json, string baseDirectory, string name = "training") =>
        From(PipelineDefinition.Parse(json, baseDirectory, name).Document, Path.GetFullPath(baseDirectory), name);

    static TrainingDefinition From(JObject doc, string baseDirectory, string fallbackName, string? sourceFile = null)
    {
        var settings = OptionsBinder.Bind<TrainingSettings>(doc, "the training file", Extra);
        string name = doc["name"] switch
        {
            null => RunName.Checked(fallbackName, null, sourceFile ?? fallbackName),
            JValue { Type: JTokenType.String } n => RunName.Checked((string)n!, n, null),
            var other => throw DefinitionError.At(other, "\"name\" must be a string: a plain file name for the output folder"),
        };
        var architecture = doc["architecture"] switch
        {
            null => null,
            JObject o => o,
            var other => throw DefinitionError.At(other, "\"architecture\" must be an object of the network's sizes (see docs/mnist.md)"),
        };
        var schedule = doc["noiseSchedule"] switch
        {
            null => new JObject { ["type"] = "discrete", ["betaSchedule"] = "linear" },
            JObject o => o,
            var other => throw DefinitionError.At(other, "\"noiseSchedule\" must be an object { \"type\": ... } naming a noise-schedule plugin"),
        };
        return new TrainingDefinition(name, baseDirectory, doc, settings, architecture, schedule);
    }

    /// <summary>The output folder: --output, else settings.output (relative to the current folder), else runs/train/&lt;name&gt;.</summary>
    public Outputs.OutputLocation OutputLocation(string? overrideFolder = null) =>
        Outputs.OutputLocation.Resolve(overrideFolder, Document["output"], "$.output", BaseDirectory, Path.Combine("runs", "train", Name));
}
