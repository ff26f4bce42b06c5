using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Optimization;
using Pipeline.IO;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>
/// sampling.initialNoise on a schedule whose prior is not N(0, I): a standard-normal file is scaled like drawn noise,
/// an "xt" file is used as it is, and offline optimizers see the same x_T as the run.
/// </summary>
public class InitialNoiseTests
{
    /// <summary>edm with Karras steps: the run starts at sigma = 80, where the prior is N(0, 80^2 I).</summary>
    static string Edm(string sampling) => $$"""
        {
          {{Definitions.Mixture}},
          "noiseSchedule": { "type": "edm" },
          "timeSteps": { "type": "karras", "steps": 6, "toZero": true },
          "solver": { "type": "heun" },
          "sampling": { {{sampling}} }
        }
        """;

    static torch.Tensor Noise(TempFolder dir)
    {
        var noise = torch.randn(4, 2, dtype: torch.ScalarType.Float64, generator: new torch.Generator(11));
        NpyFile.Write(dir.File("noise.npy"), noise);
        return noise;
    }

    [Theory]
    [InlineData("", 80.0)]
    [InlineData(", \"initialNoiseKind\": \"standard-normal\"", 80.0)]
    [InlineData(", \"initialNoiseKind\": \"xt\"", 1.0)]
    [InlineData(", \"initialNoiseKind\": \"x-t\"", 1.0)]
    public void AFileIsAStandardNormalZUnlessItIsSaidToBeXT(string kind, double scale)
    {
        using var dir = new TempFolder();
        using var noise = Noise(dir);
        var host = new PipelineHost();
        using var p = host.Compose(PipelineDefinition.Parse(Edm($"\"count\": 4, \"dtype\": \"float64\", \"initialNoise\": \"noise.npy\"{kind}"), dir.Path));
        using var r = host.Sample(p, recordTrajectory: true);
        using var factor = scale.ToScalar();
        using var expected = noise.mul(factor);
        Assert.True(torch.allclose(r.Initial, expected, rtol: 1e-15, atol: 0), "the run's x_T");
        Assert.True(torch.allclose(r.Trajectory![0], expected, rtol: 1e-15, atol: 0), "the trajectory's first state");
        Assert.Equal(scale == 1.0 ? "xt" : "standard-normal", (string?)p.Resolved["sampling"]!["initialNoiseKind"]);
    }

    [Fact]
    public void AStandardNormalFileGivesTheSameXTAsTheSeedsWouldDraw()
    {
        using var dir = new TempFolder();
        var host = new PipelineHost();
        using var drawn = host.Compose(Edm("\"count\": 4, \"seed\": 3, \"dtype\": \"float64\""));
        using var run = host.Sample(drawn);
        // The drawn z, saved as a file: the same x_T, so a z ported from another library means the same here.
        using var sigma = 80.0.ToScalar();
        using var z = run.Initial.div(sigma);
        NpyFile.Write(dir.File("z.npy"), z);
        using var fromFile = host.Compose(PipelineDefinition.Parse(Edm("\"count\": 4, \"dtype\": \"float64\", \"initialNoise\": \"z.npy\""), dir.Path));
        using var again = host.Sample(fromFile);
        Assert.True(torch.allclose(again.Initial, run.Initial, rtol: 1e-14, atol: 0));
        Assert.True(torch.allclose(again.Samples, run.Samples, rtol: 1e-10, atol: 1e-12));
    }

    [Fact]
    public void OptimizersSeeTheRunsScaledXT()
    {
        var host = new PipelineHost();
        using var pipeline = host.Compose(Edm("\"count\": 10, \"seed\": 9, \"batchSize\": 4, \"dtype\": \"float64\""));
        using var run = host.Sample(pipeline);
        using var part = new OptimizationTarget(pipeline).InitialNoise(3, 5);
        using var expected = run.Initial.narrow(0, 3, 5);
        Assert.Equal(expected.data<double>().ToArray(), part.data<double>().ToArray());
        Assert.True(part.std().item<double>() > 20, "x_T on edm has the spread of sigma = 80");
    }

    [Fact]
    public void KindWithoutAFileIsAnInputErrorAtItsPath()
    {
        using var dir = new TempFolder();
        var file = dir.Write("bad.json", Edm("\"count\": 4, \"initialNoiseKind\": \"xt\""));
        var r = Cli.Run("run", file, "--output", dir.File("out"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.sampling.initialNoiseKind", r.Err);
        Assert.Contains("no 'initialNoise' file", r.Err);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void UnknownKindNamesTheAllowedOnes()
    {
        using var dir = new TempFolder();
        var file = dir.Write("bad.json", Edm("\"count\": 4, \"initialNoise\": \"n.npy\", \"initialNoiseKind\": \"gaussian\""));
        var r = Cli.Run("run", file, "--output", dir.File("out"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.sampling.initialNoiseKind", r.Err);
        Assert.Contains("unknown value 'gaussian'", r.Err);
        Assert.Contains("allowed: standard-normal, xt", r.Err);
    }

    [Fact]
    public void SchemaAndListShowTheKind()
    {
        var schema = JObject.Parse(Cli.Run("schema").Out);
        var kind = schema["properties"]!["sampling"]!["properties"]!["initialNoiseKind"]!;
        Assert.Equal(["standard-normal", "xt"], ((JArray)kind["enum"]!).Select(v => (string)v!));
        Assert.Equal("standard-normal", (string?)kind["default"]);
        Assert.Contains("sigma(t_0) z", (string?)kind["description"]);

        var list = Cli.Run("list", "sampling");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("initialNoiseKind (one of \"standard-normal\", \"xt\", default \"standard-normal\")", list.Out);
        Assert.Contains("sampling (section of the definition):", Cli.Run("list").Out);
    }
}
