using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Options;

namespace Pipeline.Host.Diffusers;

/// <summary>
/// A diffusers <c>scheduler_config.json</c> being read: typed access to its keys with diffusers' defaults, every key
/// read is marked used (the rest are reported), and errors point at the key as <c>$.diffusers.config.&lt;key&gt;</c>
/// with the line and column in the file (or in the definition, for an inline config).
/// </summary>
public sealed class DiffusersConfig
{
    /// <summary>Keys diffusers writes for its own bookkeeping; they never change a result.</summary>
    static readonly HashSet<string> Bookkeeping = ["_class_name", "_diffusers_version", "_name_or_path", "_use_default_values"];

    readonly HashSet<string> used = [];

    /// <param name="json">The config object.</param>
    /// <param name="path">The JSON path errors name, e.g. <c>$.diffusers.config</c>.</param>
    /// <param name="file">The file the object was read from (named in errors), or null when inline.</param>
    public DiffusersConfig(JObject json, string path, string? file)
    {
        Json = json;
        Path = path;
        File = file;
    }

    /// <summary>The config object.</summary>
    public JObject Json { get; }

    /// <summary>The JSON path of the config object in errors.</summary>
    public string Path { get; }

    /// <summary>The file it came from, or null.</summary>
    public string? File { get; }

    /// <summary>Reads a config file with line information; a malformed file is an error at <paramref name="at"/>.</summary>
    public static DiffusersConfig Load(string file, string path, Func<string, PipelineInputException> at)
    {
        if (!System.IO.File.Exists(file)) throw at($"the diffusers config '{file}' does not exist");
        try
        {
            using var reader = new JsonTextReader(new StringReader(System.IO.File.ReadAllText(file))) { FloatParseHandling = FloatParseHandling.Double };
            var token = JToken.ReadFrom(reader, new JsonLoadSettings { LineInfoHandling = LineInfoHandling.Load, DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
            return token is JObject o ? new DiffusersConfig(o, path, file) : throw at($"'{file}' is not a JSON object (a diffusers scheduler_config.json is one)");
        }
        catch (JsonReaderException e)
        {
            throw at($"'{file}' is not valid JSON: line {e.LineNumber}, column {e.LinePosition}: {e.Message}");
        }
    }

    /// <summary>diffusers' <c>_class_name</c>, or an error when it is missing.</summary>
    public string ClassName
    {
        get
        {
            used.Add("_class_name");
            return Json["_class_name"] is JValue { Type: JTokenType.String } v
                ? (string)v!
                : throw Error(null, "the config has no \"_class_name\": it names the diffusers scheduler class (e.g. \"DPMSolverMultistepScheduler\")");
        }
    }

    /// <summary>Whether the key is present (not counting it as used).</summary>
    public bool Has(string key) => Json[key] is { Type: not JTokenType.Null };

    /// <summary>A string key, or <paramref name="fallback"/> (diffusers' default) when absent or null.</summary>
    public string Str(string key, string fallback) => Read(key, fallback, JTokenType.String, "a string", t => (string)t!);

    /// <summary>An integer key.</summary>
    public int Int(string key, int fallback) => Read(key, fallback, JTokenType.Integer, "an integer", t => (int)t);

    /// <summary>A boolean key.</summary>
    public bool Bool(string key, bool fallback) => Read(key, fallback, JTokenType.Boolean, "true or false", t => (bool)t);

    /// <summary>A number key (integers accepted).</summary>
    public double Num(string key, double fallback)
    {
        used.Add(key);
        return Json[key] switch
        {
            null or { Type: JTokenType.Null } => fallback,
            JValue { Type: JTokenType.Float or JTokenType.Integer } v => (double)v,
            JValue { Type: JTokenType.String } s when (string?)s is "-inf" or "-Infinity" => double.NegativeInfinity,
            var other => throw Error(key, $"must be a number, not {other.Type.ToString().ToLowerInvariant()}"),
        };
    }

    /// <summary>The raw token of a key (marked used), or null.</summary>
    public JToken? Token(string key)
    {
        used.Add(key);
        return Json[key] is { Type: not JTokenType.Null } t ? t : null;
    }

    /// <summary>Refuses a value (given, or diffusers' default when absent) that differs from <paramref name="supported"/>, with the reason.</summary>
    public void Require<T>(string key, T value, T supported, string reason)
    {
        if (!EqualityComparer<T>.Default.Equals(value, supported))
            throw Error(key, $"{Show(value)} is not reproduced here: {reason}");
    }

    /// <summary>An error at <paramref name="key"/> (or at the config object when null): path, line and column.</summary>
    public PipelineInputException Error(string? key, string message)
    {
        // A key that is absent (its default refused) is placed at the config object.
        JToken? token = key is null ? Json : Json.Property(key)?.Value ?? Json;
        string path = key is null ? Path : $"{Path}.{key}";
        string where = path;
        if (token is IJsonLineInfo info && info.HasLineInfo())
            where += File is null ? $" (line {info.LineNumber}, column {info.LinePosition})" : $" ({File}, line {info.LineNumber}, column {info.LinePosition})";
        else if (File is not null) where += $" ({File})";
        return new PipelineInputException($"{where}: {message}", path);
    }

    /// <summary>Keys never read by the importer (diffusers' bookkeeping keys excepted), in file order.</summary>
    public IEnumerable<string> UnusedKeys() =>
        Json.Properties().Select(p => p.Name).Where(k => !used.Contains(k) && !Bookkeeping.Contains(k));

    /// <summary>Marks keys as read: those that change nothing in this configuration.</summary>
    public void Ignore(params string[] keys)
    {
        foreach (var k in keys) used.Add(k);
    }

    T Read<T>(string key, T fallback, JTokenType type, string what, Func<JToken, T> convert)
    {
        used.Add(key);
        return Json[key] switch
        {
            null or { Type: JTokenType.Null } => fallback,
            var t when t.Type == type => convert(t),
            var other => throw Error(key, $"must be {what}, not {other.Type.ToString().ToLowerInvariant()} {other.ToString(Formatting.None)}"),
        };
    }

    static string Show<T>(T value) => value switch
    {
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        null => "null",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };
}
