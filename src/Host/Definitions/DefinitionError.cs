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

    /// <summary>A JSONPath for a token: $.solver.order, $.guidance[0].scale.</summary>
    public static string PathOf(JToken token)
    {
        var p = token is JProperty prop ? prop.Path : token.Path;
        if (string.IsNullOrEmpty(p)) return "$";
        return p.StartsWith('[') ? "$" + p : "$." + p;
    }
}
