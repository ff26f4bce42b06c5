using Pipeline.Host.Definitions;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Cli;

/// <summary>
/// `list [kind]`: plugins by kind with summaries and options (type, range, default, description), then the settings of the
/// definition's own sections ("sampling", "outputs"); `list sampling` or `list outputs` shows one of those;
/// `list --comfyui` shows the table of ComfyUI's names (<see cref="ComfyUiNames"/>).
/// </summary>
public static class ListCommand
{
    static readonly Dictionary<string, Type> Sections = new()
    {
        ["sampling"] = typeof(SamplingSettings),
        ["outputs"] = typeof(OutputSettings),
    };

    public static int Write(PipelineHost host, string? kind, TextWriter output)
    {
        var catalog = host.Catalog;
        var known = PluginKinds.All.Concat(Sections.Keys).ToList();
        if (kind is not null && !known.Contains(kind))
            throw new PipelineInputException($"unknown plugin kind '{kind}'.{NameSuggester.Hint(kind, known)} Kinds: {string.Join(", ", known)}");
        foreach (var k in kind is null ? PluginKinds.All : PluginKinds.All.Contains(kind) ? [kind] : [])
        {
            output.WriteLine($"{k}:");
            var entries = catalog.OfKind(k).ToList();
            if (entries.Count == 0) output.WriteLine("  (none)");
            foreach (var e in entries)
            {
                var aliases = e.Metadata.Aliases.Count > 0 ? $" (aliases: {string.Join(", ", e.Metadata.Aliases)})" : "";
                output.WriteLine($"  {e.Name}{aliases} - {e.Metadata.Summary}");
                WriteOptions(e.Options, "      ", output);
            }
        }
        foreach (var (section, type) in Sections)
            if (kind is null || kind == section)
            {
                output.WriteLine($"{section} (section of the definition):");
                WriteOptions(type, "  ", output);
            }
        foreach (var error in catalog.Errors) output.WriteLine($"error: {error}");
        foreach (var warning in catalog.Warnings) output.WriteLine($"warning: {warning}");
        return Program.Ok;
    }

    /// <summary>`list --comfyui`: ComfyUI's sampler and scheduler names, each with its plugin and options or "missing".</summary>
    public static int WriteComfyUi(TextWriter output)
    {
        output.Write(ComfyUiNames.Markdown());
        return Program.Ok;
    }

    /// <summary>`list --diffusers`: diffusers' scheduler classes, the plugins their import gives, and the parity measured.</summary>
    public static int WriteDiffusers(TextWriter output)
    {
        output.Write(Diffusers.DiffusersClasses.Markdown());
        return Program.Ok;
    }

    static void WriteOptions(Type options, string indent, TextWriter output)
    {
        var defaults = Activator.CreateInstance(options)!;
        var written = OptionsBinder.Write(defaults);
        foreach (var p in OptionsBinder.Settable(options))
        {
            var name = OptionsConventions.JsonName(p.Name);
            var required = p.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RequiredAttribute), true).Length > 0;
            var value = required ? "required"
                : written[name] is { } v ? $"default {v.ToString(Newtonsoft.Json.Formatting.None)}" : "default null";
            var description = OptionsBinder.Describe(p) is { } d ? $": {d}" : "";
            var range = OptionRange.Of(p) is { } r && r.ToString() is { Length: > 0 } text ? " " + text : "";
            output.WriteLine($"{indent}{name} ({OptionsBinder.TypeName(p.PropertyType)}{range}, {value}){description}");
        }
    }
}
