using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Options;

namespace Pipeline.Host.Definitions;

/// <summary>A parsed pipeline definition: the JSON document, the folder its relative paths refer to, and a name.</summary>
public sealed class PipelineDefinition
{
    /// <summary>Top-level sections and whether each is required.</summary>
    public static readonly IReadOnlyDictionary<string, bool> Sections = new Dictionary<string, bool>
    {
        ["$schema"] = false, ["name"] = false, ["plugins"] = false,
        ["model"] = true, ["noiseSchedule"] = true, ["timeSteps"] = true, ["solver"] = true,
        ["guidance"] = false, ["optimizers"] = false, ["metrics"] = false, ["sampling"] = false, ["outputs"] = false,
        ["files"] = false, [Diffusers.DiffusersSection.Name] = false,
    };

    public PipelineDefinition(JObject document, string baseDirectory, string name, string? sourceFile = null)
    {
        BaseDirectory = Path.GetFullPath(baseDirectory);
        // A "diffusers" section becomes the noiseSchedule, timeSteps and solver sections its config imports to.
        var warnings = new List<string>();
        Document = Diffusers.DiffusersSection.Expand(document, BaseDirectory, warnings);
        Warnings = warnings;
        SourceFile = sourceFile;
        Name = document["name"] switch
        {
            null => RunName.Checked(name, null, sourceFile ?? name),
            JValue { Type: JTokenType.String } n => RunName.Checked((string)n!, n, sourceFile),
            var other => throw DefinitionError.At(other, "\"name\" must be a string: a plain file name for the output folder"),
        };
    }

    public JObject Document { get; }

    /// <summary>What reading the definition found worth saying that is not an error (a diffusers config's unknown keys).</summary>
    public IReadOnlyList<string> Warnings { get; }
    public string BaseDirectory { get; }
    public string Name { get; }
    public string? SourceFile { get; }

    public static PipelineDefinition Load(string path)
    {
        if (!File.Exists(path))
            throw new PipelineInputException($"definition file '{path}' does not exist");
        string text = File.ReadAllText(path);
        return Parse(text, Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path), path);
    }

    public static PipelineDefinition Parse(string json, string? baseDirectory = null, string name = "pipeline", string? sourceFile = null)
    {
        if (JsonSyntax.Check(json) is { } problem)
            throw new PipelineInputException($"{sourceFile ?? "definition"}: malformed JSON at line {problem.Line}, column {problem.Column}: {problem.Message} " +
                                             $"({JsonSyntax.Format})", "$");
        JToken token;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Double };
            token = JToken.ReadFrom(reader, new JsonLoadSettings
            {
                LineInfoHandling = LineInfoHandling.Load,
                DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error,
                CommentHandling = CommentHandling.Ignore,
            });
            if (reader.Read() && reader.TokenType != JsonToken.Comment)
                throw new JsonReaderException($"unexpected content after the end of the document", reader.Path, reader.LineNumber, reader.LinePosition, null);
        }
        catch (JsonReaderException e)
        {
            throw new PipelineInputException($"{sourceFile ?? "definition"}: malformed JSON at line {e.LineNumber}, column {e.LinePosition}: {FirstSentence(e.Message)}", "$", e);
        }
        if (token is not JObject obj)
            throw DefinitionError.At(token, "a pipeline definition is a JSON object with sections model, noiseSchedule, timeSteps, solver, ...");
        return new PipelineDefinition(obj, baseDirectory ?? Directory.GetCurrentDirectory(), name, sourceFile);
    }

    /// <summary>
    /// The pipeline a comparison or an optimization file names in <paramref name="token"/>: a definition file
    /// (relative to <paramref name="owner"/>'s folder) or an inline definition.
    /// </summary>
    public static PipelineDefinition Referenced(JToken? token, PipelineDefinition owner, string what)
    {
        if (token is null)
            throw DefinitionError.At(owner.Document, $"{what} needs \"pipeline\": a definition file or an inline definition", "$.pipeline");
        if (token.Type == JTokenType.String)
            return Load(Path.GetFullPath((string)token!, owner.BaseDirectory));
        if (token is JObject inline)
            return new PipelineDefinition(inline, owner.BaseDirectory, owner.Name, owner.SourceFile);
        throw DefinitionError.At(token, "\"pipeline\" must be a file name or an object");
    }

    /// <summary>Every section of <paramref name="document"/> is known and every required one is there; else an error naming the place.</summary>
    public static void CheckSections(JObject document)
    {
        foreach (var prop in document.Properties())
            if (!Sections.ContainsKey(prop.Name))
                throw DefinitionError.At(prop, $"unknown section '{prop.Name}'.{NameSuggester.Hint(prop.Name, Sections.Keys)} (sections: {string.Join(", ", Sections.Keys)})");
        foreach (var (name, required) in Sections)
            if (required && document[name] is null)
                throw DefinitionError.At(document, $"the definition has no '{name}' section; add {{ \"{name}\": {{ \"type\": \"...\" }} }} (run 'list' for the names)", "$." + name);
    }

    /// <summary>Extra plugin folders the definition names, resolved against its folder.</summary>
    public IReadOnlyList<string> PluginFolders()
    {
        if (Document["plugins"] is not { } token) return [];
        if (token is not JArray array || array.Any(t => t.Type != JTokenType.String))
            throw DefinitionError.At(token, "'plugins' must be an array of folder paths");
        return array.Select(t => Path.GetFullPath((string)t!, BaseDirectory)).ToList();
    }

    static string FirstSentence(string message)
    {
        int i = message.IndexOf(" Path '", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
