namespace Pipeline.Plugins;

/// <summary>The metadata of a <see cref="PluginAttribute"/> export, read back by the host through MEF.</summary>
public sealed class PluginMetadata
{
    public PluginMetadata(IDictionary<string, object> values)
    {
        Kind = Read(values, nameof(Kind));
        Name = Read(values, nameof(Name));
        Summary = Read(values, nameof(Summary));
        Aliases = Read(values, nameof(Aliases))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public PluginMetadata(string kind, string name, string summary, IReadOnlyList<string> aliases)
    {
        Kind = kind; Name = name; Summary = summary; Aliases = aliases;
    }

    public string Kind { get; }
    public string Name { get; }
    public string Summary { get; }
    public IReadOnlyList<string> Aliases { get; }

    static string Read(IDictionary<string, object> values, string key) =>
        values.TryGetValue(key, out var v) && v is string s ? s : "";
}
