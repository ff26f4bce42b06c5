using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Options;

namespace Pipeline.Host.Definitions;

/// <summary>Builds input errors that point at a place in the definition: JSON path and line.</summary>
public static class DefinitionError
{
    public static PipelineInputException At(JToken? token, string message, string? path = null)
    {
        path ??= token is null ? "$" : PathOf(token);
        string where = path;
        if (token is IJsonLineInfo info && info.HasLineInfo())
            where += $" (line {info.LineNumber}, column {info.LinePosition})";
        return new PipelineInputException($"{where}: {message}", path);
    }

    /// <summary>
    /// Puts the JSON path and line in front of an error raised where the definition is not known (a plugin's constructor,
    /// a file reader). The place is the option of <paramref name="scope"/> that the error's path ends in (so a plugin in a
    /// list is found at its own index), else the error's path in the document, else <paramref name="scope"/> itself.
    /// An error that already names its line keeps its text.
    /// </summary>
    public static PipelineInputException Locate(PipelineInputException e, JToken scope)
    {
        string message = e.Message;
        if (e.Path is { } path)
        {
            if (message.StartsWith(path + " (line ", StringComparison.Ordinal)) return e;
            // Some errors start with their path but no line ("$.sampling.device: ..."); the path is put back with it.
            if (message.StartsWith(path + ":", StringComparison.Ordinal)) message = message[(path.Length + 1)..].TrimStart();
            if (scope is JObject spec && spec.Property(LastSegment(path)) is { } option)
                return new PipelineInputException(At(option.Value, message).Message, PathOf(option.Value), e);
            if (Find(scope, path) is { } at)
                return new PipelineInputException(At(at, message, path).Message, path, e);
        }
        var located = At(scope, message);
        return new PipelineInputException(located.Message, located.Path, e);
    }

    static JToken? Find(JToken scope, string path)
    {
        if (!path.StartsWith('$')) return null;
        try { return scope.Root.SelectToken(path); }
        catch (JsonException) { return null; }
    }

    static string LastSegment(string path)
    {
        var last = path[(path.LastIndexOf('.') + 1)..];
        int bracket = last.IndexOf('[');
        return bracket < 0 ? last : last[..bracket];
    }

    /// <summary>A JSONPath for a token: $.solver.order, $.guidance[0].scale.</summary>
    public static string PathOf(JToken token)
    {
        var p = token is JProperty prop ? prop.Path : token.Path;
        if (string.IsNullOrEmpty(p)) return "$";
        return p.StartsWith('[') ? "$" + p : "$." + p;
    }
}
