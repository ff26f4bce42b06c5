using System.Globalization;
using System.Text.Json;
using Pipeline.Host;
using Pipeline.Host.Optimization;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins.Search.AutoDiffusion;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>The search's choices, with the pipeline run replaced by a fitness of the times.</summary>
public sealed class AutoDiffusionSearchTests : IDisposable
{
    readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    static readonly PipelineHost Host = new();

    // A schedule none of the standard ones is near: the interior points a fitness below rewards approaching.
    static readonly double[] Hidden = [0.83, 0.41, 0.12];

    static double DistanceToHidden(IReadOnlyList<double> times) =>
        Enumerable.Range(0, Hidden.Length).Sum(i => Math.Pow(Math.Log(times[i + 1] / Hidden[i]), 2));

    (IReadOnlyDictionary<string, object?> Summary, ScriptedTarget Target, string Output) Search(
        AutoDiffusionOptions options, Func<IReadOnlyList<double>, double>? fitness = null, string solver = "\"type\": \"ddim\"")
    {
        var pipeline = Host.Compose(Mixture.Pipeline(solver: solver, count: 4));
        var target = new ScriptedTarget(new OptimizationTarget(pipeline), fitness ?? DistanceToHidden);
        var root = folder.File(Guid.NewGuid().ToString("N")[..8]);
        var summary = new AutoDiffusionSearch(options).Optimize(new OptimizationContext
        {
            Target = target, OutputDirectory = Path.Combine(root, "out"), StateDirectory = Path.Combine(root, "state"),
        });
        return (summary, target, Path.Combine(root, "out"));
    }

    static double[] WrittenTimes(string output)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "times.json")));
        return doc.RootElement.GetProperty("times").EnumerateArray().Select(e => e.GetDouble()).ToArray();
    }

    [Fact]
    public void TheSearchFindsAScheduleFarBetterThanTheStandardOnes()
    {
        var (summary, _, output) = Search(new AutoDiffusionOptions { Nfe = 4, Population = 12, TopK = 4, Iterations = 8 });
        var baselines = (IReadOnlyDictionary<string, double?>)summary["baselines"]!;
        Assert.Equal(["logsnr-uniform", "time-quadratic", "time-uniform"], baselines.Keys.Order());
        double best = (double)summary["bestFitness"]!;
        double bestBaseline = baselines.Values.Min(v => v!.Value);
        Assert.True(best < bestBaseline / 3, $"best {best} vs the best standard schedule {bestBaseline}");

        var times = WrittenTimes(output);
        Assert.Equal(5, times.Length); // DDIM: one evaluation per step
        Assert.Equal(1.0, times[0]);
        Assert.Equal(0.001, times[^1], 12);
        Assert.Equal(best, DistanceToHidden(times), 12);
    }

    [Fact]
    public void TheSameSeedGivesTheSameSearchAndAnotherSeedAnotherOne()
    {
        var options = () => new AutoDiffusionOptions { Nfe = 4, Population = 8, TopK = 3, Iterations = 3, Seed = 11 };
        var (_, a, outA) = Search(options());
        var (_, b, outB) = Search(options());
        Assert.Equal(a.Scored.Count, b.Scored.Count);
        for (int i = 0; i < a.Scored.Count; i++) Assert.Equal(a.Scored[i], b.Scored[i]);
        Assert.Equal(WrittenTimes(outA), WrittenTimes(outB));

        var other = options();
        other.Seed = 12;
        var (_, c, _) = Search(other);
        // The three standard schedules come first whatever the seed; the random ones after them differ.
        Assert.Equal(a.Scored.Take(3), c.Scored.Take(3));
        Assert.NotEqual(a.Scored[3], c.Scored[3]);
    }

    [Fact]
    public void NoScheduleIsScoredTwiceAndMaxCandidatesIsTheBudget()
    {
        var (summary, target, output) = Search(new AutoDiffusionOptions { Nfe = 3, Population = 10, TopK = 3, Iterations = 50, MaxCandidates = 37 });
        Assert.Equal(37, target.Scored.Count);
        Assert.Equal(37, (int)summary["candidates"]!);
        var keys = target.Scored.Select(t => string.Join(",", t.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        foreach (var t in target.Scored)
        {
            Assert.Equal(4, t.Length);
            for (int i = 1; i < t.Length; i++) Assert.True(t[i] < t[i - 1], "candidates are strictly decreasing");
        }
        var rows = File.ReadAllLines(Path.Combine(output, "search.csv"));
        Assert.Equal(38, rows.Length); // header + one row per candidate
        Assert.StartsWith("candidate,generation,origin,fitness", rows[0]);
    }

    [Fact]
    public void CandidatesTheSolverRefusesScoreNothingAndTheSearchGoesOn()
    {
        double Fitness(IReadOnlyList<double> times) => times[1] > 0.9
            ? throw new PipelineInputException("refused: the first step is too short")
            : DistanceToHidden(times);
        var (summary, target, output) = Search(new AutoDiffusionOptions { Nfe = 4, Population = 10, TopK = 3, Iterations = 4 }, Fitness);
        var refused = target.Scored.Count(t => t[1] > 0.9);
        Assert.True(refused > 0, "the test needs some refused candidates");
        Assert.True(WrittenTimes(output)[1] <= 0.9);
        var csv = File.ReadAllLines(Path.Combine(output, "search.csv")).Skip(1).ToList();
        Assert.Equal(refused, csv.Count(l => l.Contains("refused: the first step is too short")));
        Assert.True((double)summary["bestFitness"]! < 1);
    }

    [Fact]
    public void TheStepCountIsTheLargestWhoseNfeFitsTheBudget()
    {
        // Heun makes two evaluations per step (the last step, into tMin, too): 6 evaluations are 3 steps.
        var (summary, target, output) = Search(new AutoDiffusionOptions { Nfe = 7, Population = 4, TopK = 2, Iterations = 1 },
            solver: "\"type\": \"pf-ode\", \"method\": \"heun\"");
        Assert.Equal(3, (int)summary["steps"]!);
        Assert.All(target.Scored, t => Assert.Equal(4, t.Length));
        Assert.Equal(4, WrittenTimes(output).Length);
    }

    [Fact]
    public void ABudgetNoStepCountFitsIsAProblemBeforeAnythingRuns()
    {
        using var pipeline = Host.Compose(Mixture.Pipeline(solver: "\"type\": \"pf-ode\", \"method\": \"heun\"", count: 4));
        var problems = new AutoDiffusionSearch(new AutoDiffusionOptions { Nfe = 1 }).Check(new OptimizationTarget(pipeline)).ToList();
        var problem = Assert.Single(problems);
        Assert.Contains("'nfe' = 1", problem);
    }

    [Theory]
    [InlineData("\"population\": 8, \"topK\": 9", "topK")]
    [InlineData("\"mutationProbability\": 1.5", "mutationProbability")]
    [InlineData("\"nfe\": 0", "nfe")]
    [InlineData("\"space\": \"sigma\"", "space")]
    [InlineData("\"populaton\": 8", "populaton")]
    public void ABadOptionIsAnInputErrorNamingIt(string options, string name)
    {
        using var dir = new TempFolder();
        var file = dir.File("search.json");
        File.WriteAllText(file, Mixture.Search(Mixture.Pipeline(count: 4), options));
        var e = Assert.ThrowsAny<PipelineInputException>(() =>
            OptimizationRunner.Run(Host, Pipeline.Host.Definitions.PipelineDefinition.Load(file), dir.File("out")));
        Assert.Contains(name, e.Message);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void OptionsBuiltDirectlyAreCheckedToo()
    {
        var e = Assert.Throws<PipelineInputException>(() => new AutoDiffusionSearch(new AutoDiffusionOptions { Population = 4, TopK = 5 }));
        Assert.Contains("'topK'", e.Message);
    }
}
