using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

public class ExampleTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        // compare-*.json are comparisons (the compare command), not pipeline definitions.
        foreach (var f in Directory.GetFiles(Path.Combine(PluginBuilds.RepoRoot, "examples"), "*.json").Order())
            if (!Path.GetFileName(f).StartsWith("compare-", StringComparison.Ordinal))
                data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryExampleValidatesAsItIs(string name)
    {
        // The examples write into the repository's runs/ folder, which a developer's own runs may already hold.
        using var dir = new TempFolder();
        var r = Cli.Run("validate", Path.Combine(PluginBuilds.RepoRoot, "examples", name), "--output", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.StartsWith("ok:", r.Out);
    }

    [Fact]
    public void TheTorchScriptExampleSamplesTheSameMixtureAsTheAnalyticModel()
    {
        // tests/Fixtures/TorchScript/make_torchscript.py scripts this mixture's exact eps.
        const string analytic = """
            "model": { "type": "gmm", "weights": [0.5, 0.3, 0.2], "means": [[-2.0, 0.0], [1.5, 1.5], [1.0, -2.0]],
                       "stds": [[0.5, 0.5], [0.3, 0.8], [0.4, 0.4]] }
            """;
        var host = new PipelineHost();
        var scripted = PipelineDefinition.Load(Path.Combine(PluginBuilds.RepoRoot, "examples", "torchscript-gmm.json"));
        using var a = host.Compose(scripted);
        using var ra = host.Sample(a);
        var text = File.ReadAllText(scripted.SourceFile!);
        int start = text.IndexOf("\"model\"", StringComparison.Ordinal), end = text.IndexOf("\"noiseSchedule\"", StringComparison.Ordinal);
        var json = text[..start] + analytic + ",\n  " + text[end..];
        using var b = host.Compose(PipelineDefinition.Parse(json, Path.GetDirectoryName(scripted.SourceFile)));
        using var rb = host.Sample(b);
        Assert.Equal(new long[] { 256, 2 }, ra.Samples.shape);
        double diff = (ra.Samples - rb.Samples).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max |torchscript - gmm| = {diff}");
    }
}
