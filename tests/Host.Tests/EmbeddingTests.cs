using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Plugins;
using Pipeline.Options;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>What an embedding program sees: errors that carry their reasons, warnings about empty plugin folders, and
/// one rule for relative paths (a path in a file is relative to that file's folder).</summary>
public class EmbeddingTests
{
    static readonly string BuiltIn = Path.Combine(AppContext.BaseDirectory, "plugins");

    [Fact]
    public void AnUnknownPluginErrorCarriesTheLoadProblemsRatherThanACommand()
    {
        using var dir = new TempFolder();
        string missing = dir.File("no-such-plugins");
        var host = new PipelineHost([missing], includeDefaults: false);
        var e = Assert.Throws<PipelineInputException>(() => host.Compose(PipelineDefinition.Parse(Definitions.Gmm(), dir.Path)));
        Assert.Contains("unknown model 'gmm'", e.Message);
        Assert.Contains($"{missing}: plugin folder does not exist", e.Message);
        Assert.DoesNotContain("run 'list'", e.Message);
    }

    [Fact]
    public void AFolderWithoutAPluginAssemblyIsAWarningNamingIt()
    {
        using var dir = new TempFolder();
        dir.Write("notes.txt", "not a plugin");
        var catalog = PluginCatalog.Load([BuiltIn, dir.Path]);
        Assert.Empty(catalog.Errors);
        var warning = Assert.Single(catalog.Warnings);
        Assert.Equal(dir.Path, warning.File);
        Assert.Contains("holds no plugin assembly", warning.Reason);
        Assert.Empty(PluginCatalog.Load([BuiltIn]).Warnings);

        var list = Cli.Run("list", "solver", "--plugins", dir.Path);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains($"warning: {dir.Path}: plugin folder holds no plugin assembly", list.Out);
    }

    [Fact]
    public void OutputsDirectoryIsRelativeToTheDefinitionsFolderAndRecordedAbsolute()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("defs"));
        var file = dir.Write(Path.Combine("defs", "run.json"),
            Definitions.Gmm(sampling: "\"count\": 4, \"seed\": 1", extra: ",\n  \"outputs\": { \"directory\": \"../results/here\" }"));
        var host = new PipelineHost();
        string written = host.Run(PipelineDefinition.Load(file));
        Assert.Equal(dir.File(Path.Combine("results", "here")), written);
        var resolved = JObject.Parse(File.ReadAllText(Path.Combine(written, "definition.resolved.json")));
        Assert.Equal(written, (string?)resolved["outputs"]!["directory"]);
    }
}
