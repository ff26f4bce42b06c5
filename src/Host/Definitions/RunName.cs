using Newtonsoft.Json.Linq;
using Pipeline.Options;

namespace Pipeline.Host.Definitions;

/// <summary>
/// A definition's name becomes a folder name (runs/&lt;name&gt;, runs/&lt;name&gt;-compare, ...), so it must be one plain
/// file name: "..", "" or "/tmp/x" would put the output, and what --overwrite replaces, outside runs/.
/// </summary>
public static class RunName
{
    /// <summary>Long enough for any real name, short enough that the staging folder's longer name stays under the 255-byte limit of file names.</summary>
    public const int MaxLength = 100;

    /// <summary>The rule as a JSON Schema pattern (no separators or control characters, no space at either end, not "." or "..").</summary>
    public const string Pattern = @"^(?!\.\.?$)(?! )[^/\\\u0000-\u001f\u007f]*(?<! )$";

    /// <summary>What is wrong with <paramref name="name"/> as a folder name, or null when it is fine.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0) return "is empty";
        if (string.IsNullOrWhiteSpace(name)) return "is only spaces";
        if (name.Trim() != name) return "starts or ends with a space";
        if (name is "." or "..") return $"'{name}' names a folder, not a new one";
        if (name.IndexOfAny(['/', '\\']) >= 0) return "contains a path separator (/ or \\)";
        if (name.Any(char.IsControl)) return "contains a control character";
        if (name.Length > MaxLength) return $"is {name.Length} characters long (at most {MaxLength})";
        return null;
    }

    /// <summary>
    /// Fails with an input error when the name is not a plain file name: at <paramref name="token"/> ($.name) when the
    /// document gave it, else naming the file it came from.
    /// </summary>
    public static string Checked(string name, JToken? token, string? sourceFile)
    {
        if (Problem(name) is not { } problem) return name;
        if (token is not null)
            throw DefinitionError.At(token, $"the name {problem}; it names the output folder (runs/<name>), so use a plain file name: letters, digits, '-', '_', '.' (at most {MaxLength} characters, no '/', not '.' or '..')", "$.name");
        throw new PipelineInputException(
            $"the name taken from the file name of '{sourceFile}' {problem}; add \"name\": \"...\" (a plain file name) to the definition, or rename the file", "$.name");
    }
}
