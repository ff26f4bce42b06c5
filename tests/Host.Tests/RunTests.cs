using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.IO;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

public class RunTests
{
    static torch.Tensor Samples(string folder) => NpyFile.Read(Path.Combine(folder, "samples.npy"));

    static bool SameBits(torch.Tensor a, torch.Tensor b) => a.shape.SequenceEqual(b.shape) && a.bytes.SequenceEqual(b.bytes);

    [Fact]
    public void RunWritesOutputsAndTheResolvedDefinitionReproducesTheRunBitForBit()
    {
        using var dir = new TempFolder();
        var file = dir.Write("run.json", Definitions.Gmm(solver: "\"type\": \"ddpm\"", sampling: "\"count\": 12"));
        var first = Cli.Run("run", file, "--output", dir.File("a"), "--quiet");
        Assert.True(first.ExitCode == 0, first.Err);
        foreach (var f in new[] { "samples.npy", "report.json", "definition.resolved.json" })
            Assert.True(File.Exists(Path.Combine(dir.File("a"), f)), f);

        var resolved = JObject.Parse(File.ReadAllText(Path.Combine(dir.File("a"), "definition.resolved.json")));
        Assert.Equal("ddpm", (string?)resolved["solver"]!["type"]);
        Assert.NotNull(resolved["solver"]!["variance"]); // defaults are filled in
        Assert.Equal(JTokenType.Integer, resolved["sampling"]!["seed"]!.Type); // the random seed is recorded

        var report = JObject.Parse(File.ReadAllText(Path.Combine(dir.File("a"), "report.json")));
        Assert.Equal(10, (int)report["nfe"]!);
        Assert.Equal(10, ((JArray)report["timings"]!["stepSeconds"]!).Count);

        var again = Cli.Run("run", Path.Combine(dir.File("a"), "definition.resolved.json"), "--output", dir.File("b"), "--quiet");
        Assert.True(again.ExitCode == 0, again.Err);
        using var a = Samples(dir.File("a"));
        using var b = Samples(dir.File("b"));
        Assert.Equal(new long[] { 12, 2 }, a.shape);
        Assert.True(SameBits(a, b), "the resolved definition must reproduce the run bit for bit");
    }

    [Theory]
    [InlineData("\"type\": \"ddpm\"")]
    [InlineData("\"type\": \"ddim\", \"eta\": 1.0")]
    public void SamplesDoNotDependOnBatchSize(string solver)
    {
        using var dir = new TempFolder();
        var host = new PipelineHost();
        torch.Tensor Run(string batch)
        {
            using var p = host.Compose(Definitions.Gmm(solver: solver, sampling: $"\"count\": 10, \"seed\": 3{batch}"));
            using var r = host.Sample(p);
            return r.Samples.clone();
        }
        using var whole = Run("");
        using var small = Run(", \"batchSize\": 3");
        Assert.True(SameBits(whole, small));
        using var different = host.Compose(Definitions.Gmm(solver: solver, sampling: "\"count\": 10, \"seed\": 4"));
        using var other = host.Sample(different);
        Assert.False(SameBits(whole, other.Samples), "another seed must give other samples");
    }

    [Fact]
    public void ExplicitSeedsOverrideTheBaseSeedPerSample()
    {
        var host = new PipelineHost();
        using var p = host.Compose(Definitions.Gmm(solver: "\"type\": \"ddpm\"", sampling: "\"count\": 3, \"seeds\": [5, 6, 7]"));
        using var r = host.Sample(p);
        using var q = host.Compose(Definitions.Gmm(solver: "\"type\": \"ddpm\"", sampling: "\"count\": 2, \"seeds\": [6, 7]"));
        using var s = host.Sample(q);
        Assert.True(SameBits(r.Samples[1..], s.Samples), "a sample depends on its own seed only");
    }

    [Fact]
    public void InitialNoiseFromFileIsUsed()
    {
        using var dir = new TempFolder();
        using var noise = torch.randn(4, 2, dtype: torch.ScalarType.Float64, generator: new torch.Generator(11));
        NpyFile.Write(dir.File("noise.npy"), noise);
        var host = new PipelineHost();
        using var p = host.Compose(PipelineDefinition.Parse(Definitions.Gmm(sampling: "\"count\": 4, \"initialNoise\": \"noise.npy\""), dir.Path));
        using var r = host.Sample(p, recordTrajectory: true);
        Assert.NotNull(r.Trajectory);
        Assert.Equal(new long[] { 11, 4, 2 }, r.Trajectory!.shape);
        Assert.True(torch.allclose(r.Trajectory[0], noise.to(torch.ScalarType.Float32)));
    }

    [Fact]
    public void ExistingOutputIsKeptUnlessOverwriteIsAsked()
    {
        using var dir = new TempFolder();
        var output = dir.File("out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        var file = dir.Write("run.json", Definitions.Gmm(sampling: "\"count\": 2, \"seed\": 1"));

        var refused = Cli.Run("run", file, "--output", output, "--quiet");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--overwrite", refused.Err);
        Assert.True(File.Exists(Path.Combine(output, "keep.txt")));

        // --overwrite replaces only a folder this program wrote.
        Assert.Equal(2, Cli.Run("run", file, "--output", output, "--overwrite", "--quiet").ExitCode);
        File.Delete(Path.Combine(output, "keep.txt"));
        Assert.Equal(0, Cli.Run("run", file, "--output", output, "--quiet").ExitCode);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "written beside the run");
        var replaced = Cli.Run("run", file, "--output", output, "--overwrite", "--quiet");
        Assert.Equal(0, replaced.ExitCode);
        Assert.False(File.Exists(Path.Combine(output, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(output, "samples.npy")));
        Assert.Empty(Directory.EnumerateDirectories(dir.Path, ".*")); // no staging folders left behind
    }

    [Fact]
    public void CancellationStopsTheRunAndWritesNothing()
    {
        using var dir = new TempFolder();
        var host = new PipelineHost();
        using var cts = new CancellationTokenSource();
        var definition = PipelineDefinition.Parse(Definitions.Gmm(steps: 50, sampling: "\"count\": 4, \"seed\": 1"), dir.Path);
        int seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
            host.Run(definition, dir.File("out"), progress: p => { seen = p.Step; if (p.Step == 3) cts.Cancel(); }, cancellation: cts.Token));
        Assert.Equal(3, seen);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ProgressIsReportedForEveryStepOfEveryBatch()
    {
        var host = new PipelineHost();
        using var p = host.Compose(Definitions.Gmm(steps: 5, sampling: "\"count\": 6, \"batchSize\": 4, \"seed\": 2"));
        var seen = new List<(int Batch, int Step, long Nfe)>();
        double last = 0;
        using var r = host.Sample(p, progress: x => { seen.Add((x.Batch, x.Step, x.Evaluations)); last = x.Fraction; });
        Assert.Equal(10, seen.Count);
        // As RunProgress documents: Batch is an index from 0, Step a count from 1.
        Assert.Equal((0, 1, 1L), seen[0]);
        Assert.Equal((1, 1, 6L), seen[5]);
        Assert.Equal((1, 5, 10L), seen[^1]);
        Assert.Equal(1.0, last);
        Assert.Equal(2, r.Batches);
    }

    [Fact]
    public void SchemaListsEveryLoadedPluginAndItsOptions()
    {
        var r = Cli.Run("schema");
        Assert.Equal(0, r.ExitCode);
        var schema = JObject.Parse(r.Out);
        var solvers = (JArray)schema["properties"]!["solver"]!["oneOf"]!;
        var ddim = solvers.Single(s => (string?)s["title"] == "ddim");
        Assert.Equal(0.0, (double)ddim["properties"]!["eta"]!["default"]!);
        Assert.False((bool)ddim["additionalProperties"]!);
        Assert.Contains(((JArray)schema["properties"]!["model"]!["oneOf"]!), m => (string?)m["title"] == "gmm");
        var offline = (JArray)schema["$defs"]!["optimization"]!["properties"]!["optimizer"]!["oneOf"]!;
        Assert.Equal(["amed-train", "analytic-dpm", "autodiffusion", "gits"], offline.Select(o => (string)o["title"]!).Order());
        // A plugin-definition option (GITS's solver, AutoDiffusion's solvers) is an object that needs a "type".
        var gits = offline.Single(o => (string?)o["title"] == "gits");
        Assert.Equal("type", (string?)gits["properties"]!["solver"]!["required"]![0]);
        var autodiffusion = offline.Single(o => (string?)o["title"] == "autodiffusion");
        Assert.Equal("array", (string?)autodiffusion["properties"]!["solvers"]!["type"]![0]);
        Assert.Contains(((JArray)schema["properties"]!["optimizers"]!["items"]!["oneOf"]!), o => (string?)o["title"] == "ams");
    }

    [Fact]
    public void ListShowsPluginsByKindWithOptions()
    {
        var r = Cli.Run("list", "solver");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("ddim", r.Out);
        Assert.Contains("eta (a number in [0, 1], default 0.0)", r.Out);
        var steps = Cli.Run("list", "time-steps").Out;
        Assert.Contains("rho (a number in (0, 1000], default 7.0)", steps);
        Assert.Contains("sigmaMin (a number > 0, default null)", steps);
        Assert.Equal(2, Cli.Run("list", "solvers").ExitCode);
    }
}
