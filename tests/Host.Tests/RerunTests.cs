using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.IO;
using Pipeline.Optimizers;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>
/// A run's definition.resolved.json repeats the run from any folder: every file option (the options marked [FilePath])
/// is written as an absolute path with the file's SHA-256, the re-run gives bit-identical samples, and a file changed
/// since the run is refused at its option.
/// </summary>
public class RerunTests
{
    const string Mixture = """
        { "type": "gmm", "weights": [0.3, 0.7], "means": [[-1.0, 0.5], [1.5, -0.5]], "stds": [[0.3], [0.5]] }
        """;

    /// <summary>A definition with the given sections replaced, the named input file written beside it by <paramref name="writeInput"/>.</summary>
    sealed record Case(string Name, string File, string OptionPath, Action<string, string> WriteInput, Func<JObject, JObject> Edit);

    static JObject Base(int steps = 3) => JObject.Parse($$"""
        {
          "name": "rerun",
          "model": {{Mixture}},
          "noiseSchedule": { "type": "discrete" },
          "timeSteps": { "type": "time-uniform", "steps": {{steps}} },
          "solver": { "type": "ddim" },
          "sampling": { "count": 4, "seed": 11 }
        }
        """);

    static string Fixture(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(relative);
    }

    static double[] RunTimes(JObject definition, string folder)
    {
        using var pipeline = new PipelineHost().Compose(PipelineDefinition.Parse(definition.ToString(), folder));
        return [.. pipeline.Times];
    }

    static double[] Lambdas(JObject definition, string folder, double[] times)
    {
        using var pipeline = new PipelineHost().Compose(PipelineDefinition.Parse(definition.ToString(), folder));
        return times.Select(pipeline.Schedule.Lambda).ToArray();
    }

    public static TheoryData<string> Names => new() { "torchscript path", "initial noise", "explicit times file", "amed predictor", "analytic variance", "mnist checkpoint" };

    static Case Get(string name) => name switch
    {
        "torchscript path" => new(name, "model.pt", "$.model.path",
            (_, file) => File.Copy(Fixture("tests/Fixtures/TorchScript/gmm_eps.pt"), file),
            d => { d["model"] = JObject.Parse("""{ "type": "torchscript", "path": "model.pt", "sampleShape": [2] }"""); return d; }),
        "initial noise" => new(name, "noise.npy", "$.sampling.initialNoise",
            (_, file) => { using var z = torch.randn([4, 2], generator: new torch.Generator(5)); NpyFile.Write(file, z); },
            d => { d["sampling"]!["initialNoise"] = "noise.npy"; return d; }),
        "explicit times file" => new(name, "times.json", "$.timeSteps.file",
            (_, file) => File.WriteAllText(file, "[0.9, 0.5, 0.2, 0.05]"),
            d => { d["timeSteps"] = JObject.Parse("""{ "type": "explicit", "file": "times.json" }"""); return d; }),
        "amed predictor" => new(name, "amed.json", "$.solver.predictor",
            (folder, file) =>
            {
                var times = RunTimes(Base(), folder);
                var steps = new JArray(Enumerable.Range(0, times.Length - 1).Select(_ => new JObject { ["r"] = 0.5, ["c"] = 1.0 }));
                File.WriteAllText(file, new JObject
                {
                    ["format"] = "amed-solver/1", ["base"] = "amed", ["analyticFirstStep"] = true,
                    ["times"] = new JArray(times), ["lambdas"] = new JArray(Lambdas(Base(), folder, times)),
                    ["nfe"] = 2 * (times.Length - 1) - 1, ["steps"] = steps,
                }.ToString());
            },
            d => { d["solver"] = JObject.Parse("""{ "type": "amed", "predictor": "amed.json" }"""); return d; }),
        "analytic variance" => new(name, "variance.json", "$.solver.analyticVariance",
            (_, file) =>
            {
                var times = Enumerable.Range(1, 1000).Select(i => i / 1000.0).ToArray();
                new VarianceTable
                {
                    Times = times, Gamma = times.Select(_ => 0.9).ToArray(), StandardErrors = times.Select(_ => 1e-3).ToArray(), Samples = 100,
                }.Save(file);
            },
            d => { d["solver"] = JObject.Parse("""{ "type": "ddpm", "analyticVariance": "variance.json" }"""); return d; }),
        "mnist checkpoint" => new(name, "unet.ckpt", "$.model.checkpoint",
            (_, file) =>
            {
                File.Copy(Fixture("models/mnist-unet.ckpt"), file);
                File.Copy(Fixture("models/mnist-unet.json"), Path.ChangeExtension(file, ".json"));
            },
            d =>
            {
                d["model"] = JObject.Parse("""{ "type": "mnist-unet", "checkpoint": "unet.ckpt" }""");
                d["timeSteps"]!["steps"] = 2;
                d["sampling"]!["count"] = 1;
                d["outputs"] = JObject.Parse("""{ "grid": false }""");
                return d;
            }),
        _ => throw new ArgumentException(name),
    };

    [Theory, MemberData(nameof(Names))]
    public void TheResolvedDefinitionRepeatsTheRunFromAnotherFolderAndRefusesAChangedFile(string name)
    {
        var c = Get(name);
        using var dir = new TempFolder();
        var definitions = Directory.CreateDirectory(dir.File("definitions")).FullName;
        var elsewhere = Directory.CreateDirectory(dir.File("elsewhere")).FullName;
        var input = Path.Combine(definitions, c.File);
        c.WriteInput(definitions, input);
        var file = Path.Combine(definitions, "run.json");
        File.WriteAllText(file, c.Edit(Base()).ToString());

        var first = CliProcess.Run(dir.Path, "run", "definitions/run.json", "--output", "first", "--quiet");
        Assert.True(first.ExitCode == 0, first.Err);
        var resolvedFile = Path.Combine(dir.Path, "first", "definition.resolved.json");
        var resolved = JObject.Parse(File.ReadAllText(resolvedFile));
        Assert.Equal(input, (string?)resolved.SelectToken(c.OptionPath));
        Assert.Equal(new FileInfo(input).Length, (long?)resolved["files"]?[input]?["size"]);
        Assert.Equal(64, ((string?)resolved["files"]?[input]?["sha256"])?.Length);

        var again = CliProcess.Run(elsewhere, "run", resolvedFile, "--output", Path.Combine(dir.Path, "again"), "--quiet");
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Path, "first", "samples.npy")), File.ReadAllBytes(Path.Combine(dir.Path, "again", "samples.npy")));

        var bytes = File.ReadAllBytes(input);
        bytes[^1] ^= 0x20;
        File.WriteAllBytes(input, bytes);
        var changed = CliProcess.Run(elsewhere, "run", resolvedFile, "--output", Path.Combine(dir.Path, "changed"), "--quiet");
        Assert.Equal(2, changed.ExitCode);
        Assert.StartsWith($"error: {c.OptionPath} (line ", changed.Err);
        Assert.Contains("changed since the run", changed.Err);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "changed")));
    }

    [Fact]
    public void TheShippedTorchScriptExampleRunsAgainFromItsResolvedDefinition()
    {
        using var dir = new TempFolder();
        var example = Fixture("examples/torchscript-gmm.json");
        var first = CliProcess.Run(dir.Path, "run", example, "--output", "first", "--quiet");
        Assert.True(first.ExitCode == 0, first.Err);
        var again = CliProcess.Run(dir.Path, "run", "first/definition.resolved.json", "--output", "runs/again", "--quiet");
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Equal(File.ReadAllBytes(dir.File("first/samples.npy")), File.ReadAllBytes(dir.File("runs/again/samples.npy")));
    }
}
