using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>The optimizer plugins through the host, as the command line uses them: ams in "optimizers", analytic-dpm by optimize.</summary>
public class OptimizerPluginTests
{
    [Fact]
    public void AmsWrapsTheSolverAndRefusesAMultistepOne()
    {
        var host = new PipelineHost();
        const string ams = ", \"optimizers\": [ { \"type\": \"adaptive-momentum\", \"momentumMax\": 0.3 } ]";
        using var plain = host.Compose(Definitions.Gmm(sampling: "\"count\": 32, \"seed\": 4"));
        using var wrapped = host.Compose(Definitions.Gmm(sampling: "\"count\": 32, \"seed\": 4", extra: ams));
        Assert.Equal("ams", (string?)wrapped.Resolved["optimizers"]![0]!["type"]);
        using var a = host.Sample(plain);
        using var b = host.Sample(wrapped);
        Assert.Equal(a.Nfe, b.Nfe);
        Assert.False(a.Samples.allclose(b.Samples), "ams left the samples unchanged");

        var file = Path.Combine(Path.GetTempPath(), $"ams-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, Definitions.Gmm(solver: "\"type\": \"dpm-solver++\"", extra: ams));
        try
        {
            var r = Cli.Run("validate", file);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("one-step", r.Err);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void AnalyticDpmTableWrittenByOptimizeIsUsedByDdpm()
    {
        using var dir = new TempFolder();
        var pipeline = Definitions.Gmm(solver: "\"type\": \"ddpm\"", sampling: "\"count\": 64, \"seed\": 2");
        dir.Write("pipeline.json", pipeline);
        var optimization = dir.Write("optimize.json", """
            { "name": "adpm", "pipeline": "pipeline.json",
              "optimizer": { "type": "analytic-dpm", "samples": 500, "times": "pipeline" } }
            """);
        var r = Cli.Run("optimize", optimization, "--output", dir.File("out"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Err);
        var table = JObject.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "variance.json")));
        Assert.Equal(500, (int)table["samples"]!);
        Assert.Equal(10, ((JArray)table["gamma"]!).Count);   // the times the pipeline's 10 steps start from

        var host = new PipelineHost();
        var withTable = Definitions.Gmm(solver: "\"type\": \"ddpm\", \"analyticVariance\": \"out/variance.json\"", sampling: "\"count\": 64, \"seed\": 2");
        using var usual = host.Compose(PipelineDefinition.Parse(pipeline, dir.Path));
        using var optimal = host.Compose(PipelineDefinition.Parse(withTable, dir.Path));
        using var a = host.Sample(usual);
        using var b = host.Sample(optimal);
        Assert.False(a.Samples.allclose(b.Samples), "the variance table changed nothing");

        // 20 steps start from t = 0.05, below the table's first time (about 0.1): refused, naming the file.
        var finer = Definitions.Gmm(solver: "\"type\": \"ddpm\", \"analyticVariance\": \"out/variance.json\"", steps: 20);
        var e = Assert.Throws<Pipeline.Options.PipelineInputException>(() => host.Compose(PipelineDefinition.Parse(finer, dir.Path)));
        Assert.Contains("variance.json", e.Message);
    }
}
