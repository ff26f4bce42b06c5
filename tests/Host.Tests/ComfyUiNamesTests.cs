using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Cli;
using Pipeline.Host.Definitions;
using Pipeline.Plugins;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>The ComfyUI name table: what `list --comfyui` prints, the copy in docs/solvers.md, and that every mapped entry is a real plugin with options that bind.</summary>
public class ComfyUiNamesTests
{
    const string Start = "<!-- comfyui-table:start -->\n", End = "<!-- comfyui-table:end -->";

    [Fact]
    public void ListPrintsTheTable()
    {
        var list = Cli.Run("list", "--comfyui");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(ComfyUiNames.Markdown(), list.Out.ReplaceLineEndings("\n"));
        Assert.Contains("| `dpm_2` | sampler | `dpm2` | `{}` |", list.Out);
        Assert.Contains("| `beta` | scheduler | missing |", list.Out);
    }

    [Fact]
    public void DocsHoldTheTableListPrints()
    {
        var doc = File.ReadAllText(Path.Combine(PluginBuilds.RepoRoot, "docs", "solvers.md")).ReplaceLineEndings("\n");
        int from = doc.IndexOf(Start, StringComparison.Ordinal), to = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, "docs/solvers.md has the comfyui-table markers");
        Assert.Equal(Cli.Run("list", "--comfyui").Out.ReplaceLineEndings("\n"), doc[(from + Start.Length)..to]);
    }

    [Fact]
    public void EveryNameIsListedOnceAndEveryMappedPluginBindsItsOptions()
    {
        var names = ComfyUiNames.All.Select(n => (n.Kind, n.Name)).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        var catalog = new PipelineHost().Catalog;
        foreach (var n in ComfyUiNames.All.Where(n => n.Plugin is not null))
        {
            string kind = n.Kind == "sampler" ? PluginKinds.Solver : PluginKinds.TimeSteps;
            var entry = catalog.Find(kind, n.Plugin!);
            var options = OptionsBinder.Bind(entry.Options, JObject.Parse(n.Options), $"{n.Name}");
            // Only options that exist and differ from the defaults are written.
            var defaults = OptionsBinder.Write(Activator.CreateInstance(entry.Options)!);
            var bound = OptionsBinder.Write(options);
            foreach (var (key, value) in JObject.Parse(n.Options))
                Assert.False(JToken.DeepEquals(defaults[key], bound[key]), $"{n.Name}: option '{key}' is the default {value}");
        }
    }

    [Theory]
    [InlineData("dpm_2", "dpm2")]
    [InlineData("dpm_2_ancestral", "dpm2-ancestral")]
    public void ComfyUiNamesWithDefaultOptionsAreAliases(string comfy, string plugin)
    {
        var entry = new PipelineHost().Catalog.Find(PluginKinds.Solver, comfy);
        Assert.Equal(plugin, entry.Name);
        Assert.Equal("{}", ComfyUiNames.All.Single(n => n.Name == comfy).Options);
    }
}
