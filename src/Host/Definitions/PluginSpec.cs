using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Definitions;

/// <summary>
/// One component of a typed pipeline definition: a plugin name and its options, the <c>{ "type": name, ...options }</c>
/// object of the JSON format. The options are checked when the pipeline is composed, against the plugin's own options
/// class, with the same messages as a JSON file gets.
/// </summary>
/// <example>
/// <code>
/// new PluginSpec("dpm-solver++", new { Order = 2, Method = "multistep" });
/// new PluginSpec("discrete").With("betaSchedule", "linear").With("trainingSteps", 1000);
/// </code>
/// </example>
public sealed class PluginSpec
{
    /// <param name="type">The plugin's name or alias, as <c>list</c> shows it.</param>
    /// <param name="options">
    /// The options: an anonymous or plain object (each property under its JSON name, Order as "order"), a dictionary
    /// (keys as given), a <see cref="JObject"/>, or null for the plugin's defaults. Enums are written by their JSON names.
    /// </param>
    public PluginSpec(string type, object? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        Type = type;
        Options = options is null ? [] : OptionsBinder.ToJson(options) as JObject
            ?? throw new ArgumentException($"the options of '{type}' must be an object with properties, not {options.GetType().Name}", nameof(options));
        if (Options.ContainsKey("type"))
            throw new ArgumentException($"the options of '{type}' cannot hold a \"type\": the plugin's name is the first argument", nameof(options));
    }

    /// <summary>The plugin's name or alias.</summary>
    public string Type { get; }

    /// <summary>The options as the JSON format writes them, without "type"; <see cref="ToJson"/> copies them.</summary>
    public JObject Options { get; }

    /// <summary>A copy with the option <paramref name="name"/> (its JSON name) set to <paramref name="value"/>.</summary>
    public PluginSpec With(string name, object? value)
    {
        var options = (JObject)Options.DeepClone();
        options[name] = OptionsBinder.ToJson(value);
        return new PluginSpec(Type, options);
    }

    /// <summary>The component as the JSON format writes it.</summary>
    public JObject ToJson()
    {
        var o = new JObject { ["type"] = Type };
        foreach (var p in Options.Properties()) o[p.Name] = p.Value.DeepClone();
        return o;
    }

    /// <summary>The component of a JSON object <c>{ "type": ..., ...options }</c>; an error names <paramref name="token"/>'s path.</summary>
    public static PluginSpec FromJson(JToken token, string what)
    {
        if (token is not JObject o)
            throw DefinitionError.At(token, $"'{what}' must be an object {{ \"type\": \"<plugin name>\", ...options }}");
        if (o["type"] is not JValue { Type: JTokenType.String } type || string.IsNullOrWhiteSpace((string?)type))
            throw DefinitionError.At(o["type"] ?? o, $"'{what}' needs \"type\": the plugin's name (run 'list' for the names)", DefinitionError.PathOf(o) + ".type");
        var options = (JObject)o.DeepClone();
        options.Remove("type");
        return new PluginSpec((string)type!, options);
    }

    /// <inheritdoc/>
    public override string ToString() => ToJson().ToString(Newtonsoft.Json.Formatting.None);
}
