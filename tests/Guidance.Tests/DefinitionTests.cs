using Pipeline.Host;
using Pipeline.Options;
using TorchSharp;
using Xunit.Abstractions;

namespace Pipeline.Tests;

/// <summary>Guidance composed by the host from a definition: bad combinations and options stop before anything runs.</summary>
public class DefinitionTests(ITestOutputHelper output)
{
    static readonly PipelineHost Host = new();

    static string Definition(string guidance, bool conditional = true, string sampling = "\"count\": 6, \"seed\": 1, \"labelsInRows\": true", string solver = "ddim") => $$"""
        {
          "model": { "type": "gmm", "weights": [0.5, 0.3, 0.2], "means": [[-3, -1], [3, -1], [0, 4]], "stds": [[0.5], [0.5], [0.5]],
                     "conditional": {{(conditional ? "true" : "false")}} },
          "noiseSchedule": { "type": "discrete" },
          "timeSteps": { "type": "logsnr-uniform", "steps": 8 },
          "solver": { "type": "{{solver}}" },
          "guidance": [ {{guidance}} ],
          "sampling": { {{sampling}} }
        }
        """;

    PipelineInputException Refused(string json, string path, params string[] words)
    {
        var e = Assert.Throws<PipelineInputException>(() => Host.Compose(json).Dispose());
        output.WriteLine(e.Message);
        Assert.Equal(path, e.Path);
        foreach (var w in words) Assert.Contains(w, e.Message);
        return e;
    }

    [Theory]
    [InlineData("{ \"type\": \"cfg\", \"scale\": 3 }", 8)]
    [InlineData("{ \"type\": \"classifier-free-guidance\", \"scale\": 2, \"rescale\": 0.5, \"space\": \"data\", \"start\": 0.2, \"end\": 0.8 }", 8)]
    [InlineData("{ \"type\": \"classifier\", \"classifier\": \"gmm-posterior\", \"scale\": 2 }", 8)]
    public void GuidedPipelinesRunThroughTheHost(string guidance, int nfe)
    {
        using var pipeline = Host.Compose(Definition(guidance));
        using var result = Host.Sample(pipeline);
        Assert.Equal(nfe, result.Nfe);
        Assert.Equal(new long[] { 6, 2 }, result.Samples.shape);
        Assert.True(torch.isfinite(result.Samples).all().item<bool>());
        // Labels in rows: sample i is guided towards component i mod 3, which lies near its mean.
        var x = result.Samples.data<float>().ToArray();
        double[][] means = [[-3, -1], [3, -1], [0, 4]];
        for (int i = 0; i < 6; i++)
            Assert.True(Math.Abs(x[2 * i] - means[i % 3][0]) < 2.5 && Math.Abs(x[2 * i + 1] - means[i % 3][1]) < 2.5, $"sample {i}");
    }

    [Fact]
    public void ThresholdingAfterCfgBoundsTheSamples()
    {
        // The mixture's means reach 4; dynamic thresholding maps every x_0 into [-1, 1], and the run ends at TMin,
        // where x = alpha x_0 + sigma eps is within sigma(TMin) of it.
        using var pipeline = Host.Compose(Definition(
            "{ \"type\": \"cfg\", \"scale\": 3 }, { \"type\": \"dynamic-threshold\", \"percentile\": 0.99, \"maxValue\": 4 }, { \"type\": \"clip\", \"value\": 5 }"));
        using var result = Host.Sample(pipeline);
        Assert.Equal(8, result.Nfe);
        double largest = result.Samples.abs().max().item<float>();
        Assert.InRange(largest, 0.5, 1.05);
    }

    [Fact]
    public void ResolvedDefinitionListsEveryOption()
    {
        using var pipeline = Host.Compose(Definition("{ \"type\": \"classifier-free\", \"scale\": 2 }"));
        var cfg = pipeline.Resolved["guidance"]![0]!;
        Assert.Equal("cfg", (string?)cfg["type"]);
        foreach (var key in new[] { "scale", "rescale", "space", "intervalUnit", "start", "end" }) Assert.NotNull(cfg[key]);
        Assert.Equal("epsilon", (string?)cfg["space"]);
        Assert.Equal("fraction", (string?)cfg["intervalUnit"]);
    }

    [Fact]
    public void CfgNeedsAConditionalModel() =>
        Refused(Definition("{ \"type\": \"cfg\", \"scale\": 3 }", conditional: false, sampling: "\"count\": 6"), "$.guidance[0]", "unconditional", "\"conditional\": true");

    [Fact]
    public void CfgNeedsAScale() => Refused(Definition("{ \"type\": \"cfg\" }"), "$.guidance[0].scale", "needs option 'scale'");

    [Fact]
    public void ThresholdingBeforeCfgIsRefused() =>
        Refused(Definition("{ \"type\": \"dynamic-threshold\" }, { \"type\": \"cfg\", \"scale\": 3 }"), "$.guidance[1]",
            "'dynamic-threshold' is listed before 'cfg'", "list 'dynamic-threshold' after 'cfg'");

    [Fact]
    public void ClippingBeforeClassifierGuidanceIsRefused() =>
        Refused(Definition("{ \"type\": \"clip\" }, { \"type\": \"classifier\", \"classifier\": \"gmm-posterior\" }"), "$.guidance[1]",
            "'clip' is listed before 'classifier'");

    [Fact]
    public void CfgTwiceIsRefused() =>
        Refused(Definition("{ \"type\": \"cfg\", \"scale\": 2 }, { \"type\": \"cfg\", \"scale\": 2 }"), "$.guidance[1]", "cfg is listed twice");

    [Fact]
    public void UnknownClassifierListsTheOffered() =>
        Refused(Definition("{ \"type\": \"classifier\", \"classifier\": \"mnist\" }"), "$.guidance[0]", "no classifier \"mnist\"", "\"gmm-posterior\"");

    [Fact]
    public void ClassifierGuidanceNeedsLabelsFromAConditionalModel() =>
        Refused(Definition("{ \"type\": \"classifier\", \"classifier\": \"gmm-posterior\" }", conditional: false, sampling: "\"count\": 6"),
            "$.guidance[0]", "label per sample");

    [Theory]
    [InlineData("{ \"type\": \"cfg\", \"scale\": -1 }", "$.guidance[0].scale")]
    [InlineData("{ \"type\": \"cfg\", \"scale\": 2, \"rescale\": 1.5 }", "$.guidance[0].rescale")]
    [InlineData("{ \"type\": \"cfg\", \"scale\": 2, \"space\": \"velocity\" }", "$.guidance[0].space")]
    [InlineData("{ \"type\": \"cfg\", \"scale\": 2, \"start\": 0.8, \"end\": 0.2 }", "$.guidance[0].end")]
    [InlineData("{ \"type\": \"cfg\", \"scale\": 2, \"end\": 1.5 }", "$.guidance[0].end")]
    [InlineData("{ \"type\": \"cfg\", \"scale\": 2, \"intervalUnit\": \"time\", \"start\": 0.2, \"end\": 0.8 }", "$.guidance[0].end")]
    [InlineData("{ \"type\": \"dynamic-threshold\", \"percentile\": 1.5 }", "$.guidance[0].percentile")]
    [InlineData("{ \"type\": \"dynamic-threshold\", \"percentile\": 0 }", "$.guidance[0].percentile")]
    [InlineData("{ \"type\": \"dynamic-threshold\", \"maxValue\": 0.5 }", "$.guidance[0].maxValue")]
    [InlineData("{ \"type\": \"clip\", \"value\": 0 }", "$.guidance[0].value")]
    [InlineData("{ \"type\": \"classifier\" }", "$.guidance[0].classifier")]
    [InlineData("{ \"type\": \"classifier\", \"classifier\": \"gmm-posterior\", \"scale\": -2 }", "$.guidance[0].scale")]
    public void BadOptionsAreRefusedWithTheirPath(string guidance, string path) => Refused(Definition(guidance), path);

    [Fact]
    public void CfgWithoutLabelsIsRefusedBeforeRunning()
    {
        var e = Assert.Throws<PipelineInputException>(() => Host.Compose(Definition("{ \"type\": \"cfg\", \"scale\": 2 }", sampling: "\"count\": 6")).Dispose());
        Assert.Equal("$.sampling.labels", e.Path);
        Assert.Contains("sampling.labelsInRows", e.Message);
    }

    [Fact]
    public void TheHostListsTheGuidancePlugins()
    {
        var names = Host.Catalog.Entries.Where(e => e.Kind == Plugins.PluginKinds.Guidance).Select(e => e.Name).Order().ToArray();
        Assert.Equal(["cfg", "classifier", "clip", "dynamic-threshold"], names);
    }
}
