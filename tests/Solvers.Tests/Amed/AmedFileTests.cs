using System.Text.Json.Nodes;
using Pipeline.Options;
using Pipeline.Plugins.Solvers.Amed;
using Pipeline.Sampling;
using Pipeline.Tests.TestSupport;
using Pipeline.Tests.UniPc;

namespace Pipeline.Tests.Amed;

/// <summary>The predictor file: what the solver accepts, what it refuses, and how it says so.</summary>
public sealed class AmedFileTests : IDisposable
{
    readonly string folder = Path.Combine(Path.GetTempPath(), "amed-file-tests", Guid.NewGuid().ToString("N"));
    static readonly double[] Times = AmedProblem.Times(AmedProblem.Grid.TimeUniform, 3);

    public AmedFileTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static AmedParameters Valid(AmedBase kind = AmedBase.Amed) => new()
    {
        Base = kind,
        Times = Times,
        Lambdas = Times.Select(AmedProblem.Schedule.Lambda).ToArray(),
        Nfe = 5,
        Steps = [new() { R = 0.2, C = 1.01 }, new() { R = 0.4, C = 0.98, Head = Head() }, new() { R = 0.6, C = 0.9 }],
    };

    /// <summary>A valid network: 4 inputs, 2 hidden units, 3 levels.</summary>
    static AmedHead Head() => new()
    {
        Input = AmedInput.State, Levels = [0.25, 0.5, 0.75], Hidden = 2, Mean = [0, 0, 0, 0], Scale = [1, 1, 1, 1],
        W1 = [0.1, 0, 0, 0, 0, 0.1, 0, 0], B1 = [0, 0], W2 = [0, 0, 0, 0], B2 = [0, 0],
    };

    string Write(AmedParameters p, string name = "amed.json")
    {
        string path = Path.Combine(folder, name);
        p.Save(path);
        return path;
    }

    AmedSolver Open(string file, AmedBase? kind = null) =>
        new(new AmedSolverOptions { Predictor = file, Base = kind }, new RunEnvironment(TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float64, folder));

    [Fact]
    public void ASavedFileLoadsBackAndRunsAtItsTimes()
    {
        Write(Valid(AmedBase.Ipndm));
        var solver = Open("amed.json");   // relative to the definition's folder
        Assert.Equal(AmedBase.Ipndm, solver.Parameters.Base);
        Assert.Equal(Times, solver.Parameters.Times);
        Assert.Equal([0.2, 0.4, 0.6], solver.Parameters.Steps.Select(s => s.R));
        Assert.Empty(solver.Check(AmedProblem.Schedule, Times));
        Assert.Equal(5, solver.Evaluations(Times));
    }

    [Fact]
    public void ACBeyondTheRunsDtypeIsRefusedAtTheFile()
    {
        var p = Valid();
        p.Steps[1].C = 1e308;
        Write(p);
        var e = Assert.Throws<PipelineInputException>(() =>
            new AmedSolver(new AmedSolverOptions { Predictor = "amed.json" }, new RunEnvironment(TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float32, folder)));
        Assert.Equal("$.solver.predictor", e.Path);
        Assert.Contains("step 1's c", e.Message);
        Assert.Contains("float32", e.Message);
    }

    [Fact]
    public void OtherTimesAreRefusedWithTheReason()
    {
        var solver = Open(Write(Valid()));
        var fewer = AmedProblem.Times(AmedProblem.Grid.TimeUniform, 2);
        Assert.Contains("trained for 3 steps (NFE 5)", Assert.Single(solver.Check(AmedProblem.Schedule, fewer)));
        var other = AmedProblem.Times(AmedProblem.Grid.LogSnr, 3);
        Assert.Contains("trained for other times", Assert.Single(solver.Check(AmedProblem.Schedule, other)));
        var toZero = Times.ToArray();
        toZero[^1] = 0;
        Assert.Contains("other times", Assert.Single(solver.Check(AmedProblem.Schedule, toZero)));
    }

    [Fact]
    public void AnotherNoiseScheduleIsRefused()
    {
        var solver = Open(Write(Valid()));
        var cosine = new DiscreteLinearSchedule(betaEnd: 0.012);
        Assert.Contains("another noise schedule", Assert.Single(solver.Check(cosine, Times)));
    }

    [Fact]
    public void ABaseOtherThanTheTrainedOneIsAnInputError()
    {
        Write(Valid(AmedBase.Amed));
        var e = Assert.Throws<PipelineInputException>(() => Open("amed.json", AmedBase.Ipndm));
        Assert.Equal("$.solver.base", e.Path);
        Assert.Contains("trained for 'amed'", e.Message);
        Assert.Equal(AmedBase.Amed, Open("amed.json", AmedBase.Amed).Parameters.Base);
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "missing", "does not exist" },
        { "not json", "not valid JSON" },
        { "truncated", "not valid JSON" },
        { "r above 1", "r = 1.5 is outside (0, 1)" },
        { "negative c", "c = -1 is not a positive number" },
        { "steps short", "2 step parameters for 3 steps" },
        { "nfe", "nfe = 6" },
        { "format", "format 'other/1'" },
        { "times increase", "strictly decreasing" },
        { "string for r", "not valid JSON" },
        { "network weights short", "step 1's network: weight sizes" },
        { "network weight nan", "not valid JSON" },
        { "network level outside", "step 1's network: a level is outside (0, 1)" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void ACorruptFileIsAnInputErrorNamingTheProblem(string corruption, string expected)
    {
        string path = Path.Combine(folder, "amed.json");
        if (corruption != "missing")
        {
            Write(Valid());
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            string text = json.ToJsonString();
            switch (corruption)
            {
                case "not json": text = "amed"; break;
                case "truncated": text = text[..(text.Length / 2)]; break;
                case "r above 1": json["steps"]![1]!["r"] = 1.5; text = json.ToJsonString(); break;
                case "negative c": json["steps"]![0]!["c"] = -1; text = json.ToJsonString(); break;
                case "steps short": json["steps"]!.AsArray().RemoveAt(2); text = json.ToJsonString(); break;
                case "nfe": json["nfe"] = 6; text = json.ToJsonString(); break;
                case "format": json["format"] = "other/1"; text = json.ToJsonString(); break;
                case "times increase": json["times"]![1] = 2.0; text = json.ToJsonString(); break;
                case "string for r": json["steps"]![0]!["r"] = "half"; text = json.ToJsonString(); break;
                case "network weights short": json["steps"]![1]!["head"]!["w1"]!.AsArray().RemoveAt(0); text = json.ToJsonString(); break;
                case "network weight nan": text = json.ToJsonString().Replace("\"b1\":[0", "\"b1\":[NaN"); break;
                case "network level outside": json["steps"]![1]!["head"]!["levels"]![0] = 0.0; text = json.ToJsonString(); break;
            }
            File.WriteAllText(path, text);
        }
        var e = Assert.Throws<PipelineInputException>(() => Open(path));
        Assert.Equal("$.solver.predictor", e.Path);
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(AmedInput.Bottleneck, "gives none")]
    [InlineData(AmedInput.State, "trained on 4 state inputs per sample but this pipeline gives 16")]
    public void ANetworkWhoseInputThePipelineCannotGiveIsAnInputError(AmedInput input, string expected)
    {
        var p = Valid();
        p.Steps[1].Head!.Input = input;
        var solver = Open(Write(p));
        using var xT = TorchSharp.torch.randn([4, 8], TorchSharp.torch.float64);
        var e = Assert.Throws<PipelineInputException>(() => Harness.Run(solver, AmedProblem.Mixture, AmedProblem.Schedule, xT, Times));
        Assert.Equal("$.solver.predictor", e.Path);
        Assert.Contains(expected, e.Message);
        Assert.Contains("step 2", e.Message);
    }

    [Fact]
    public void TheTrainerRefusesTimesEndingAtZeroAndTooManySamples()
    {
        var times = Times.ToArray();
        times[^1] = 0;
        using var target = new MixtureTarget(AmedProblem.Mixture, AmedProblem.Schedule, times, 8, seed: 1);
        Assert.Contains(new AmedTrainer(new AmedTrainerOptions()).Check(target), p => p.Contains("end at t = 0"));
        Assert.Contains(new AmedTrainer(new AmedTrainerOptions { Samples = 9 }).Check(target), p => p.Contains("'samples' = 9"));
        using var fine = new MixtureTarget(AmedProblem.Mixture, AmedProblem.Schedule, Times, 8, seed: 1);
        Assert.Empty(new AmedTrainer(new AmedTrainerOptions()).Check(fine));
    }

    [Fact]
    public void WithoutTheAnalyticFirstStepEveryStepCostsTwoEvaluations()
    {
        using var target = new MixtureTarget(AmedProblem.Mixture, AmedProblem.Schedule, Times, 16, seed: 1);
        var (p, summary) = AmedProblem.Train(target, new AmedTrainerOptions
        {
            AnalyticFirstStep = false, TeacherSteps = 4, GridPoints = 3, RefineIterations = 2, Score = false,
        });
        Assert.False(p.AnalyticFirstStep);
        Assert.Equal(6, p.Nfe);
        Assert.Equal(6, summary["nfe"]);
        // MixtureTarget.Error checks the model's count against Evaluations.
        var solver = AmedProblem.Solver(p);
        Assert.Equal(6, solver.Evaluations(Times));
        Assert.True(double.IsFinite(target.Error(solver, Times)));
    }

    [Fact]
    public void TheTrainersSummaryScoresBeforeAndAfter()
    {
        using var target = new MixtureTarget(AmedProblem.Mixture, AmedProblem.Schedule, Times, 64, seed: 1);
        var (p, summary) = AmedProblem.Train(target, new AmedTrainerOptions { TeacherSteps = 8, Input = AmedTrainerInput.None });
        Assert.Equal(6, summary["parameterCount"]);
        Assert.Equal(["table", "table", "table"], (string[])summary["networks"]!);
        Assert.True((double)summary["scoreAfter"]! < (double)summary["scoreBefore"]!,
            $"after {summary["scoreAfter"]} vs before {summary["scoreBefore"]}");
        Assert.Equal(p.Steps.Select(s => s.R), (double[])summary["r"]!);
    }
}
