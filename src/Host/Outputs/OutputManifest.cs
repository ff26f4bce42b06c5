using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Outputs;

/// <summary>
/// The file that marks a folder as written by this program. --overwrite replaces only folders that have it, so a
/// wrong output path can never delete a user's own files.
/// </summary>
public static class OutputManifest
{
    public const string FileName = ".pipeline-output.json";

    public static bool IsIn(string folder) => File.Exists(Path.Combine(folder, FileName));

    /// <summary>Writes the manifest into <paramref name="folder"/>: which command wrote it, when, and with which version.</summary>
    public static void Write(string folder, string command) =>
        File.WriteAllText(Path.Combine(folder, FileName), new JObject
        {
            ["writtenBy"] = "pipeline",
            ["command"] = command,
            ["time"] = DateTimeOffset.UtcNow.ToString("o"),
            ["version"] = typeof(OutputManifest).Assembly.GetName().Version?.ToString(),
        }.ToString());
}
