using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Diffusers;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>
/// The diffusers import: what a config becomes, unknown keys reported, values it cannot reproduce refused at their key
/// with line and column (exit 2, nothing written), the "diffusers" section and the import-diffusers command agreeing,
/// and the class table that `list --diffusers` prints and docs/solvers.md holds.
/// </summary>
public class DiffusersImportTests
{
    /// <summary>Stable Diffusion 1.x's scheduler_config.json (PNDM with PLMS, scaled-linear betas).</summary>
    const string StableDiffusion = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.7.0.dev0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "trained_betas": null
        }
        """;

    static DiffusersImport Import(string json, int steps = 20, bool conventions = false) =>
        DiffusersImporter.Import(new DiffusersConfig(JObject.Parse(json), "$", null), steps, conventions);

    static string Definition(string diffusers) => $$"""
        {
          {{Definitions.Mixture}},
          "diffusers": {{diffusers}},
          "sampling": { "count": 4, "seed": 1 }
        }
        """;

    [Fact]
    public void StableDiffusionsConfigBecomesPlmsOnLeadingSpacing()
    {
        var import = Import(StableDiffusion);
        Assert.Empty(import.Warnings);
        Assert.Equal("discrete", (string?)import.NoiseSchedule["type"]);
        Assert.Equal("scaled-linear", (string?)import.NoiseSchedule["betaSchedule"]);
        Assert.Equal(0.00085, (double)import.NoiseSchedule["betaStart"]!);
        Assert.Equal("leading", (string?)import.TimeSteps["type"]);
        Assert.Equal(1, (int)import.TimeSteps["stepsOffset"]!);
        Assert.False((bool)import.TimeSteps["setAlphaToOne"]!);
        Assert.Equal("plms", (string?)import.Solver["type"]);
    }

    [Fact]
    public void DpmSolverOptionsAreMapped()
    {
        var import = Import("""{"_class_name": "DPMSolverMultistepScheduler", "solver_order": 3, "solver_type": "heun", "algorithm_type": "dpmsolver", "final_sigmas_type": "sigma_min", "thresholding": true, "sample_max_value": 2.5}""");
        Assert.Equal("dpm-solver", (string?)import.Solver["type"]);
        Assert.Equal(3, (int)import.Solver["order"]!);
        Assert.Equal("heun", (string?)import.Solver["solverType"]);
        Assert.Equal(15, (int)import.Solver["lowerOrderFinalBelow"]!);
        Assert.Equal("linspace", (string?)import.TimeSteps["type"]);
        Assert.False((bool)import.TimeSteps["setAlphaToOne"]!);
        var threshold = Assert.Single(import.Guidance);
        Assert.Equal("dynamic-threshold", (string?)threshold["type"]);
        Assert.Equal(2.5, (double)threshold["maxValue"]!);
    }

    /// <summary>Heun and KDPM2 default to Stable Diffusion's betas; a 'linspace' grid with fractional timesteps gives times.</summary>
    [Fact]
    public void SigmaSchedulersGetTheirOwnDefaultsAndTimes()
    {
        var heun = Import("""{"_class_name": "HeunDiscreteScheduler"}""", steps: 10);
        Assert.Equal(0.00085, (double)heun.NoiseSchedule["betaStart"]!);
        Assert.Equal("heun", (string?)heun.Solver["type"]);
        // 999 / 9 = 111: integer timesteps, listed as training-step indices.
        Assert.Equal(new long[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 }, heun.TimeSteps["indices"]!.Select(t => (long)t));
        var euler = Import("""{"_class_name": "EulerDiscreteScheduler"}""", steps: 20);
        Assert.Equal(0.0001, (double)euler.NoiseSchedule["betaStart"]!);
        var times = euler.TimeSteps["times"]!.Select(t => (double)t).ToArray();
        Assert.Equal(20, times.Length);
        Assert.Equal(1.0, times[0]);
        Assert.True((bool)euler.TimeSteps["appendZero"]!);
    }

    [Fact]
    public void KarrasSigmasWarnUnlessDiffusersConventionsAreAsked()
    {
        const string config = """{"_class_name": "DPMSolverMultistepScheduler", "use_karras_sigmas": true}""";
        var exact = Import(config);
        Assert.Equal("karras", (string?)exact.TimeSteps["type"]);
        Assert.Null(exact.NoiseSchedule["modelTime"]);
        Assert.Contains(exact.Warnings, w => w.Contains("use_karras_sigmas") && w.Contains("nearest training step"));
        var compatible = Import(config, conventions: true);
        Assert.Equal("nearest-step", (string?)compatible.NoiseSchedule["modelTime"]);
        Assert.Empty(compatible.Warnings);
    }

    [Fact]
    public void UnknownKeysAreWarnedAboutByName()
    {
        using var dir = new TempFolder();
        File.WriteAllText(Path.Combine(dir.Path, "scheduler_config.json"), """{"_class_name": "DDIMScheduler", "clip_sample": false, "my_new_key": 3, "timestep_spacing": "trailing"}""");
        File.WriteAllText(Path.Combine(dir.Path, "def.json"), Definition("""{ "config": "scheduler_config.json", "steps": 10 }"""));
        var r = Cli.Run("validate", Path.Combine(dir.Path, "def.json"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("warning: $.diffusers.config.my_new_key: unknown key for DDIMScheduler", r.Err);
        Assert.Contains("solver ddim", r.Out);
        Assert.Contains("10 steps (trailing)", r.Out);
    }

    [Theory]
    [InlineData("""{"_class_name": "DDIMScheduler", "clip_sample": false, "timestep_spacing": "linspace"}""", "timestep_spacing", 4, "k - N // steps")]
    [InlineData("""{"_class_name": "DDIMScheduler"}""", "clip_sample", 1, "keeps the model's eps")]
    [InlineData("""{"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "sde-dpmsolver"}""", "algorithm_type", 3, "no SDE-DPM-Solver")]
    [InlineData("""{"_class_name": "DPMSolverMultistepScheduler", "use_beta_sigmas": true}""", "use_beta_sigmas", 3, "beta-distribution")]
    [InlineData("""{"_class_name": "DPMSolverSinglestepScheduler", "solver_order": 3}""", "solver_order", 3, "order list")]
    [InlineData("""{"_class_name": "EulerDiscreteSchedulerX"}""", "_class_name", 2, "is not imported")]
    [InlineData("""{"_class_name": "DPMSolverMultistepScheduler", "rescale_betas_zero_snr": true}""", "rescale_betas_zero_snr", 3, "zero terminal SNR")]
    [InlineData("""{"_class_name": "EulerDiscreteScheduler", "interpolation_type": "log_linear"}""", "interpolation_type", 3, "linear interpolation of sigma")]
    [InlineData("""{"_class_name": "EulerDiscreteScheduler", "final_sigmas_type": "sigma_min"}""", "final_sigmas_type", 3, "step of length 0")]
    [InlineData("""{"_class_name": "HeunDiscreteScheduler", "clip_sample": true}""", "clip_sample", 3, "keeps its own update")]
    public void ValuesThatCannotBeReproducedAreRefusedAtTheirKeyInTheFile(string config, string key, int line, string reason)
    {
        using var dir = new TempFolder();
        // One key per line, so the refused key's line is known.
        var pretty = JObject.Parse(config).ToString(Newtonsoft.Json.Formatting.Indented);
        File.WriteAllText(Path.Combine(dir.Path, "scheduler_config.json"), pretty);
        File.WriteAllText(Path.Combine(dir.Path, "def.json"), Definition("""{ "config": "scheduler_config.json", "steps": 10 }"""));
        var r = Cli.Run("run", Path.Combine(dir.Path, "def.json"), "--output", Path.Combine(dir.Path, "out"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"$.diffusers.config.{key} (", r.Err);
        Assert.Contains(reason, r.Err);
        // An absent key whose default is refused is placed at the config object (line 1).
        Assert.Contains(JObject.Parse(config)[key] is null ? "line 1," : $"line {line},", r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")), "nothing is written");
        var c = Cli.Run("import-diffusers", Path.Combine(dir.Path, "scheduler_config.json"), "--steps", "10", "--output", Path.Combine(dir.Path, "imported.json"));
        Assert.Equal(2, c.ExitCode);
        Assert.Contains(reason, c.Err);
        Assert.False(File.Exists(Path.Combine(dir.Path, "imported.json")));
    }

    [Fact]
    public void InlineConfigErrorsNameTheLineInTheDefinition()
    {
        var json = Definition("""
            {
                "config": {
                  "_class_name": "PNDMScheduler",
                  "timestep_spacing": "linspace"
                },
                "steps": 10
              }
            """);
        var e = Assert.Throws<Pipeline.Options.PipelineInputException>(() => new PipelineHost().Compose(json));
        Assert.StartsWith("$.diffusers.config.timestep_spacing (line 6,", e.Message);
    }

    [Theory]
    [InlineData("""{ "config": {"_class_name": "DDIMScheduler", "clip_sample": false}, "steps": 10, "order": 2 }""", "unknown key 'order'")]
    [InlineData("""{ "config": {"_class_name": "DDIMScheduler", "clip_sample": false} }""", "$.diffusers.steps")]
    [InlineData("""{ "config": {"_class_name": "DDIMScheduler", "clip_sample": false}, "steps": 10, "conventions": "comfy" }""", "\"conventions\" is")]
    [InlineData("""{ "config": "missing.json", "steps": 10 }""", "does not exist")]
    public void BadSectionsAreRefused(string section, string message)
    {
        var e = Assert.Throws<Pipeline.Options.PipelineInputException>(() => new PipelineHost().Compose(Definition(section)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TheSectionCannotBeMixedWithTheSectionsItReplaces()
    {
        var json = Definition("""{ "config": {"_class_name": "DDIMScheduler", "clip_sample": false}, "steps": 10 }""").Replace("\"sampling\"", "\"solver\": { \"type\": \"ddim\" }, \"sampling\"");
        var e = Assert.Throws<Pipeline.Options.PipelineInputException>(() => new PipelineHost().Compose(json));
        Assert.Contains("'solver' and \"diffusers\" both set", e.Message);
    }

    /// <summary>The command writes every option; the definition it writes composes to the same run as the section.</summary>
    [Fact]
    public void TheCommandSpellsOutWhatTheSectionRuns()
    {
        using var dir = new TempFolder();
        string config = Path.Combine(dir.Path, "scheduler_config.json");
        File.WriteAllText(config, """{"_class_name": "UniPCMultistepScheduler", "solver_order": 3, "timestep_spacing": "trailing", "thresholding": true}""");
        File.WriteAllText(Path.Combine(dir.Path, "base.json"), Definition("""{ "config": "scheduler_config.json", "steps": 8 }"""));
        string written = Path.Combine(dir.Path, "imported.json");
        var r = Cli.Run("import-diffusers", config, "--steps", "8", "--definition", Path.Combine(dir.Path, "base.json"), "--output", written);
        Assert.Equal(0, r.ExitCode);
        var doc = JObject.Parse(File.ReadAllText(written));
        Assert.Null(doc["diffusers"]);
        // Every option of the plugin is there, defaults included.
        Assert.NotNull(doc["solver"]!["corrector"]);
        Assert.NotNull(doc["noiseSchedule"]!["modelTime"]);
        Assert.Equal("dynamic-threshold", (string?)doc["guidance"]![0]!["type"]);
        var host = new PipelineHost();
        using var viaSection = host.Compose(File.ReadAllText(Path.Combine(dir.Path, "base.json")), dir.Path);
        using var viaFile = host.Compose(File.ReadAllText(written), dir.Path);
        foreach (var section in new[] { "noiseSchedule", "timeSteps", "solver", "guidance" })
            Assert.True(JToken.DeepEquals(viaSection.Resolved[section], viaFile.Resolved[section]), section);
        using var a = host.Sample(viaSection);
        using var b = host.Sample(viaFile);
        Assert.True(a.Samples.bytes.SequenceEqual(b.Samples.bytes));
    }

    const string Start = "<!-- diffusers-table:start -->\n", End = "<!-- diffusers-table:end -->";

    [Fact]
    public void ListPrintsTheClassTableAndTheDocsHoldIt()
    {
        var list = Cli.Run("list", "--diffusers");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(DiffusersClasses.Markdown(), list.Out.ReplaceLineEndings("\n"));
        Assert.Equal(DiffusersImporter.Classes.Order(), DiffusersClasses.All.Select(c => c.ClassName).Order());
        var doc = File.ReadAllText(Path.Combine(PluginBuilds.RepoRoot, "docs", "solvers.md")).ReplaceLineEndings("\n");
        int from = doc.IndexOf(Start, StringComparison.Ordinal), to = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, "docs/solvers.md has the diffusers-table markers");
        Assert.Equal(list.Out.ReplaceLineEndings("\n"), doc[(from + Start.Length)..to]);
    }
}
