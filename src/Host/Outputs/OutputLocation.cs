using System.Text;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Options;

namespace Pipeline.Host.Outputs;

/// <summary>
/// Where a command writes its output folder and which setting chose it (--output, a "directory" key, or the default
/// from the name), so that every problem with the place is reported against what the user has to change, before
/// any work starts.
/// </summary>
public sealed class OutputLocation
{
    /// <summary>Room the staging folder's name (".&lt;name&gt;.partial-&lt;32 hex&gt;") adds to the target's name.</summary>
    const int StagingOverhead = 42;
    const int MaxNameBytes = 255, MaxPathBytes = 4000;

    readonly JToken? token;

    OutputLocation(string target, string source, JToken? token)
    {
        Target = target;
        Source = source;
        this.token = token;
    }

    /// <summary>The full path of the output folder.</summary>
    public string Target { get; }

    /// <summary>What chose it: "--output", "$.outputs.directory", "$.name", ...</summary>
    public string Source { get; }

    /// <summary>
    /// The folder from <paramref name="option"/> (--output, relative to the current folder), else the document's
    /// <paramref name="configured"/> key (relative to <paramref name="configuredBase"/>, null = the current folder),
    /// else <paramref name="defaultFolder"/> (relative to the current folder, derived from the name).
    /// </summary>
    public static OutputLocation Resolve(string? option, JToken? configured, string configuredPath, string? configuredBase, string defaultFolder)
    {
        if (option is not null)
            return new OutputLocation(Full(option, null, "--output", null), "--output", null);
        if (configured is { Type: not JTokenType.Null })
        {
            if (configured.Type != JTokenType.String)
                throw DefinitionError.At(configured, "the output folder must be a string (a folder path)", configuredPath);
            return new OutputLocation(Full((string)configured!, configuredBase, configuredPath, configured), configuredPath, configured);
        }
        return new OutputLocation(Full(defaultFolder, null, "$.name", null), "$.name", null);
    }

    /// <summary>The folder beside this one whose name adds <paramref name="suffix"/> (a shard's), chosen by the same setting.</summary>
    public OutputLocation WithSuffix(string suffix) => new(Full(Target + suffix, null, Source, token), Source, token);

    /// <summary>An input error about this location, placed at the setting that chose it.</summary>
    public PipelineInputException Error(string message)
    {
        string advice = Source == "--output" ? "" : " (or choose another folder with --output)";
        return token is not null
            ? DefinitionError.At(token, message + advice, Source)
            : new PipelineInputException($"{Describe()}: {message}{advice}", Source);
    }

    string Describe() => Source switch
    {
        "--output" => "--output",
        "$.name" => $"output folder '{Target}' (the default, from $.name)",
        _ => Source,
    };

    /// <summary>
    /// Fails with an input error unless the folder can be written: no file in the way, not an existing folder with
    /// files unless <paramref name="overwrite"/>, and never one this program did not write.
    /// </summary>
    public void Check(bool overwrite)
    {
        CheckPlace();
        if (!Directory.Exists(Target) || !Directory.EnumerateFileSystemEntries(Target).Any()) return;
        if (!overwrite)
            throw Error($"output folder '{Target}' already exists and is not empty; choose another folder, or pass --overwrite (outputs.overwrite) to replace it");
        if (!OutputManifest.IsIn(Target))
            throw Error($"output folder '{Target}' holds files this program did not write (it has no {OutputManifest.FileName}), so --overwrite will not replace it; " +
                        "move or delete it yourself, or choose another folder");
    }

    /// <summary>
    /// For commands that continue in their folder (train): fails unless the folder is new, empty, or written by this
    /// program (it has the manifest, or <paramref name="stateFile"/>, the resumable state of earlier versions).
    /// </summary>
    public void CheckResumable(string stateFile)
    {
        CheckPlace();
        if (!Directory.Exists(Target) || !Directory.EnumerateFileSystemEntries(Target).Any()) return;
        if (!OutputManifest.IsIn(Target) && !File.Exists(Path.Combine(Target, stateFile)))
            throw Error($"output folder '{Target}' holds files this program did not write (it has no {OutputManifest.FileName}); " +
                        "choose a new folder, or move those files away");
    }

    void CheckPlace()
    {
        if (File.Exists(Target))
            throw Error($"'{Target}' is a file; name a folder");
        for (var parent = Path.GetDirectoryName(Target); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent)) throw Error($"'{parent}', a parent of the output folder '{Target}', is a file");
            if (Directory.Exists(parent)) break;
        }
    }

    static string Full(string path, string? baseDirectory, string source, JToken? token)
    {
        PipelineInputException Bad(string message) => token is not null
            ? DefinitionError.At(token, message, source)
            : new PipelineInputException($"{source}: {message}", source);

        if (string.IsNullOrWhiteSpace(path)) throw Bad("the output folder is empty; name a folder");
        if (path.Any(char.IsControl)) throw Bad("the output folder's path contains a control character (such as NUL)");
        var full = Path.GetFullPath(path, baseDirectory ?? Directory.GetCurrentDirectory());
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(full));
        if (name.Length == 0) throw Bad($"'{full}' is a root folder; name a folder below it");
        full = Path.TrimEndingDirectorySeparator(full);
        foreach (var part in full.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar))
            if (Encoding.UTF8.GetByteCount(part) > MaxNameBytes)
                throw Bad($"the path has a component of {Encoding.UTF8.GetByteCount(part)} bytes; file systems allow {MaxNameBytes}");
        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes - StagingOverhead)
            throw Bad($"the folder name '{name[..20]}...' is {Encoding.UTF8.GetByteCount(name)} bytes long; at most {MaxNameBytes - StagingOverhead} (its staging folder's name is longer)");
        if (Encoding.UTF8.GetByteCount(full) > MaxPathBytes)
            throw Bad($"the path is {Encoding.UTF8.GetByteCount(full)} bytes long; at most {MaxPathBytes}");
        return full;
    }
}
