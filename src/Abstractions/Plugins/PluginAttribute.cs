using System.Composition;

namespace Pipeline.Plugins;

/// <summary>
/// Exports a plugin to the host. Put it on a class deriving from <see cref="PluginExport{TPlugin,TOptions}"/>:
/// MEF finds the export and its metadata, dependency injection then builds <c>TPlugin</c> with its options.
/// </summary>
/// <example>
/// <code>
/// [Plugin(PluginKinds.Solver, "ddim", Aliases = "ddim-eta", Summary = "DDIM (Song et al. 2021)")]
/// public sealed class DdimExport : PluginExport&lt;Ddim, DdimOptions&gt;;
/// </code>
/// </example>
[MetadataAttribute]
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class PluginAttribute(string kind, string name) : ExportAttribute(typeof(IPluginExport))
{
    /// <summary>One of <see cref="PluginKinds"/>.</summary>
    public string Kind { get; } = kind;

    /// <summary>Canonical lowercase name used in JSON.</summary>
    public string Name { get; } = name;

    /// <summary>Comma-separated other names users know from other libraries.</summary>
    public string Aliases { get; set; } = "";

    /// <summary>One line shown by <c>list</c>.</summary>
    public string Summary { get; set; } = "";
}
