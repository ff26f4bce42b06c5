using Pipeline.Plugins;

namespace Pipeline.Host.Plugins;

/// <summary>A plugin found in a plugin folder.</summary>
public sealed record PluginEntry(PluginMetadata Metadata, Type Implementation, Type Options, string File)
{
    public string Kind => Metadata.Kind;
    public string Name => Metadata.Name;

    public IEnumerable<string> Names => [Metadata.Name, .. Metadata.Aliases];
}

/// <summary>A plugin file, or one plugin in it, that could not be used; the rest still load.</summary>
public sealed record PluginLoadError(string File, string Reason)
{
    public override string ToString() => $"{File}: {Reason}";
}
