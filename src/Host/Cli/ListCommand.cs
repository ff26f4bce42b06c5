using Pipeline.Host.Definitions;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Cli;

/// <summary>`list [kind]`: plugins by kind with summaries and options (type, default, description).</summary>
public static class ListCommand
{
    public static int Write(PipelineHost host, string? kind, TextWriter output)
    {
        var catalog = host.Catalog;
        if (kind is not null && !PluginKinds.All.Contains(kind))
            throw new PipelineInputException($"unknown plugin kind '{kind}'.{NameSuggester.Hint(kind, PluginKinds.All)} Kinds: {string.Join(", ", PluginKinds.All)}");
        foreach (var k in kind is null ? PluginKinds.All : [kind])
        {
            output.WriteLine($"{k}:");
            var entries = catalog.OfKind(k).ToList();
            if (entries.Count == 0) output.WriteLine("  (none)");
            foreach (var e in entries)
            {
                var aliases = e.Metadata.Aliases.Count > 0 ? $" (aliases: {string.Join(", ", e.Metadata.Aliases)})" : "";
                output.WriteLine($"  {e.Name}{aliases} - {e.Metadata.Summary}");
                var defaults = Activator.CreateInstance(e.Options)!;
                var written = OptionsBinder.Write(defaults);
                foreach (var p in OptionsBinder.Settable(e.Options))
                {
                    var name = OptionsConventions.JsonName(p.Name);
                    var required = p.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RequiredAttribute), true).Length > 0;
                    var value = required ? "required" : $"default {written[name]!.ToString(Newtonsoft.Json.Formatting.None)}";
                    var description = OptionsBinder.Describe(p) is { } d ? $": {d}" : "";
                    output.WriteLine($"      {name} ({OptionsBinder.TypeName(p.PropertyType)}, {value}){description}");
                }
            }
        }
        foreach (var error in catalog.Errors) output.WriteLine($"error: {error}");
        return Program.Ok;
    }
}
