using System.Security.Cryptography;
using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Definitions;

/// <summary>
/// The input files a definition names (options marked <see cref="Options.FilePathAttribute"/>): each resolved to an
/// absolute path, with its SHA-256 and size, written as the resolved definition's "files" record. When the definition
/// being composed carries such a record (it is a definition.resolved.json), a file whose contents differ from the
/// record is refused: the run would not repeat the one that wrote it.
/// </summary>
public sealed class FileLedger
{
    public const string Section = "files";

    readonly string baseDirectory;
    readonly JObject? previous;
    readonly JObject record = [];

    /// <param name="previous">The definition's own "files" record, or null.</param>
    public FileLedger(string baseDirectory, JToken? previous)
    {
        this.baseDirectory = baseDirectory;
        this.previous = Checked(previous);
    }

    /// <summary>A definition's "files" record, checked for shape; null when there is none.</summary>
    public static JObject? Checked(JToken? record) => record switch
    {
        null => null,
        JObject o => o,
        _ => throw DefinitionError.At(record, "\"files\" must be an object of { \"<absolute path>\": { \"sha256\": ..., \"size\": ... } }, as a run writes it"),
    };

    /// <summary>The files seen so far: { path: { sha256, size } }.</summary>
    public JObject Record => record;

    /// <summary>
    /// The absolute path of <paramref name="path"/>, recorded; refused when the definition's record says the file had
    /// other contents. <paramref name="owner"/> and <paramref name="option"/> place the error (the option may be a default
    /// that the definition does not write).
    /// </summary>
    public string Resolve(string path, Options.FilePathAttribute attribute, JObject owner, string option)
    {
        var full = Options.FileLocation.Resolve(path, baseDirectory, attribute);
        if (attribute.Directory || !File.Exists(full)) return full; // a missing file is the plugin's error to report
        if (record[full] is null) record[full] = Describe(full);
        var now = (JObject)record[full]!;
        if (previous?[full] is JObject then && !SameContents(then, now))
            throw DefinitionError.At(owner[option] ?? owner,
                $"file '{full}' changed since the run that wrote this definition (sha256 {then["sha256"]}, {then["size"]} bytes then; " +
                $"{now["sha256"]}, {now["size"]} bytes now); restore it, or remove its entry from \"files\" to run with the file as it is",
                DefinitionError.PathOf(owner) + "." + option);
        return full;
    }

    static bool SameContents(JObject then, JObject now) =>
        string.Equals((string?)then["sha256"], (string?)now["sha256"], StringComparison.OrdinalIgnoreCase)
        && (then["size"] is null || (long?)then["size"] == (long?)now["size"]);

    static JObject Describe(string file)
    {
        using var stream = File.OpenRead(file);
        return new JObject
        {
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(stream)),
            ["size"] = stream.Length,
        };
    }
}
