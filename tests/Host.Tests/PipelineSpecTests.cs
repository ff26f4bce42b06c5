using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Options;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>The typed definition model for embedders round-trips with the JSON format and runs like it.</summary>
public class PipelineSpecTests
{
    static string Examples => Path.Combine(PluginBuilds.RepoRoot, "examples");

    /// <summary>Every example that is a pipeline definition (the others are optimization and training files).</summary>
    public static TheoryData<string> Definitions()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Examples, "*.json").Order())
            if (JObject.Parse(File.ReadAllText(f))["model"] is not null) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Definitions))]
    public void JsonToTypedToJsonComposesToTheSameResolvedDefinition(string name)
    {
        var host = new PipelineHost();
        var file = PipelineDefinition.Load(Path.Combine(Examples, name));
        var spec = PipelineSpec.FromDefinition(file);
        var again = spec.ToDefinition(file.BaseDirectory, file.Name);
        // Written twice, the typed form is stable: nothing is lost or added by a second round.
        Assert.True(JToken.DeepEquals(spec.ToJson(), PipelineSpec.FromJson(spec.ToJson()).ToJson()), spec.ToJson().ToString());

        using var a = host.Compose(file);
        using var b = host.Compose(again);
        var (ra, rb) = (a.Resolved, b.Resolved);
        if (file.Document["sampling"]?["seed"] is null && file.Document["sampling"]?["seeds"] is null)
        {
            // Without a seed each composition draws its own (and records it); everything else must agree.
            ((JObject)ra["sampling"]!).Remove("seed");
            ((JObject)rb["sampling"]!).Remove("seed");
        }
        Assert.True(JToken.DeepEquals(ra, rb), $"{name}:\n{ra}\n---\n{rb}");
    }

    [Fact]
    public void EverySectionSurvivesTheRoundTrip()
    {
        // The examples have no guidance or online optimizer; this one has every list section, and samples through it.
        var json = Support.Definitions.Gmm(sampling: "\"count\": 8, \"seed\": 3, \"dtype\": \"float64\"",
            extra: """
            ,
             "guidance": [ { "type": "clip", "value": 1.5 } ],
             "optimizers": [ { "type": "ams" } ],
             "metrics": [ { "type": "exact-ode-error" } ],
             "outputs": { "trajectory": true }
            """);
        var file = PipelineDefinition.Parse(json);
        var spec = PipelineSpec.FromDefinition(file);
        Assert.Equal(["clip"], spec.Guidance.Select(g => g.Type));
        Assert.Equal(["ams"], spec.Optimizers.Select(g => g.Type));
        Assert.Equal(["exact-ode-error"], spec.Metrics.Select(g => g.Type));
        Assert.True(spec.Outputs!.Trajectory);
        var host = new PipelineHost();
        using var a = host.Compose(file);
        using var b = host.Compose(spec, file.BaseDirectory);
        Assert.True(JToken.DeepEquals(a.Resolved, b.Resolved), $"{a.Resolved}\n---\n{b.Resolved}");
        using var ra = host.Sample(a);
        using var rb = host.Sample(b);
        using var same = ra.Samples.equal(rb.Samples).all();
        Assert.True(same.item<bool>());
    }

    [Fact]
    public void APipelineBuiltInCodeSamplesWhatItsJsonFileSamples()
    {
        // examples/gmm-ddim.json, written as an embedder would write it.
        var spec = new PipelineSpec
        {
            Name = "gmm-ddim",
            Model = new PluginSpec("gmm", new
            {
                Weights = new[] { 0.2, 0.5, 0.3 },
                Means = new[] { new[] { -2.0, 0.0 }, new[] { 1.0, 1.5 }, new[] { 1.5, -1.5 } },
                Stds = new[] { new[] { 0.3 }, new[] { 0.5 }, new[] { 0.4, 0.2 } },
            }),
            NoiseSchedule = new PluginSpec("discrete", new { BetaSchedule = "linear", TrainingSteps = 1000 }),
            TimeSteps = new PluginSpec("logsnr-uniform").With("steps", 20),
            Solver = new PluginSpec("ddim", new Dictionary<string, object?> { ["eta"] = 0.0 }),
            Sampling = new SamplingSettings { Count = 1000, BatchSize = 500, Seed = 0, Device = "auto" },
            Outputs = new OutputSettings { Directory = "../runs/gmm-ddim", Trajectory = false },
        };
        var host = new PipelineHost();
        using var typed = host.Compose(spec, Examples);
        using var file = host.Compose(PipelineDefinition.Load(Path.Combine(Examples, "gmm-ddim.json")));
        Assert.True(JToken.DeepEquals(typed.Resolved, file.Resolved), $"{typed.Resolved}\n---\n{file.Resolved}");
        using var rt = host.Sample(typed);
        using var rf = host.Sample(file);
        Assert.Equal(new long[] { 1000, 2 }, rt.Samples.shape);
        using var same = rt.Samples.equal(rf.Samples).all();
        Assert.True(same.item<bool>(), "the typed pipeline must give the file's samples exactly");
    }

    [Fact]
    public void OptionsObjectsAreWrittenWithTheJsonNamesOfTheFormat()
    {
        var spec = new PluginSpec("example", new { BetaSchedule = "linear", TrainingSteps = 1000, Kind = InitialNoiseKind.StandardNormal, Range = new[] { -1.0, 1.0 }, Missing = (int?)null });
        Assert.Equal("""{"type":"example","betaSchedule":"linear","trainingSteps":1000,"kind":"standard-normal","range":[-1.0,1.0],"missing":null}""", spec.ToString());
        Assert.Equal("""{"type":"example","betaSchedule":"linear","trainingSteps":1000,"kind":"standard-normal","range":[-1.0,1.0],"missing":null,"order":2}""", spec.With("order", 2).ToString());
        Assert.Throws<ArgumentException>(() => new PluginSpec("ddim", new { Type = "ddpm" }));
        Assert.Throws<ArgumentException>(() => new PluginSpec("ddim", 3));
    }

    [Fact]
    public void MisshapenSectionsAreErrorsNamingTheirPath()
    {
        static PipelineInputException Error(string json) =>
            Assert.Throws<PipelineInputException>(() => PipelineSpec.FromDefinition(PipelineDefinition.Parse(json)));
        var guidance = Error(Support.Definitions.Gmm(extra: ",\n \"guidance\": { \"type\": \"cfg\" }"));
        Assert.Equal("$.guidance", guidance.Path);
        var untyped = Error(Support.Definitions.Gmm(solver: "\"eta\": 1"));
        Assert.Equal("$.solver.type", untyped.Path);
        var missing = Error("""{ "model": { "type": "gmm" }, "noiseSchedule": { "type": "discrete" }, "timeSteps": { "type": "time-uniform" } }""");
        Assert.Equal("$.solver", missing.Path);
        var sampling = Error(Support.Definitions.Gmm(sampling: "\"count\": 0"));
        Assert.StartsWith("$.sampling", sampling.Path);
        // Building in code without a required component fails where the definition is written, not at a null later.
        var incomplete = new PipelineSpec { Model = new("gmm"), NoiseSchedule = new("discrete"), TimeSteps = new("time-uniform"), Solver = null! };
        Assert.Throws<InvalidOperationException>(() => incomplete.ToJson());
    }
}
