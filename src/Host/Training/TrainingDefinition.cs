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
    static readonly string[] Extra = ["$schema", "name", "architecture", "noiseSchedule"];

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
        return From(parsed.Document, parsed.BaseDirectory, name);
    }

    public static TrainingDefinition Parse(string json, string baseDirectory, string name = "training") =>
        From(PipelineDefinition.Parse(json, baseDirectory, name).Document, Path.GetFullPath(baseDirectory), name);

    static TrainingDefinition From(JObject doc, string baseDirectory, string fallbackName)
    {
        var settings = OptionsBinder.Bind<TrainingSettings>(doc, "the training file", Extra);
        string name = doc["name"] is JValue { Type: JTokenType.String } n ? (string)n! : fallbackName;
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

    /// <summary>The output folder: settings.output (relative to the current folder) or runs/train/&lt;name&gt;.</summary>
    public string OutputFolder(string? overrideFolder = null) =>
        Path.GetFullPath(overrideFolder ?? Settings.Output ?? Path.Combine("runs", "train", Name));
}
