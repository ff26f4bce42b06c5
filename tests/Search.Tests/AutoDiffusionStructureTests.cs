using System.Text.Json;
using Pipeline.Host;
using Pipeline.Host.Optimization;
using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins.Search.AutoDiffusion;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>The structure search (block masks per step under a cost budget), with the run replaced by a fitness.</summary>
public sealed class AutoDiffusionStructureTests : IDisposable
{
    readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    static readonly PipelineHost Host = new();

    sealed record Seen(double[] Times, bool[][]? Skip);

    (IReadOnlyDictionary<string, object?> Summary, List<Seen> Seen, SkippableStub Model, string Output) Search(
        AutoDiffusionOptions options, Func<IReadOnlyList<double>, BlockStructure?, double> fitness)
    {
        var pipeline = Host.Compose(Mixture.Pipeline(solver: "\"type\": \"ddim\"", count: 4));
        var inner = new OptimizationTarget(pipeline);
        var model = new SkippableStub(inner.Model);
        var seen = new List<Seen>();
        var target = new ScriptedTarget(inner, times =>
        {
            seen.Add(new Seen(times.ToArray(), model.Structure?.Skip.Select(m => m.ToArray()).ToArray()));
            return fitness(times, model.Structure);
        }, model);
        var root = folder.File(Guid.NewGuid().ToString("N")[..8]);
        var summary = new AutoDiffusionSearch(options).Optimize(new OptimizationContext
        {
            Target = target, OutputDirectory = Path.Combine(root, "out"), StateDirectory = Path.Combine(root, "state"),
        });
        return (summary, seen, model, Path.Combine(root, "out"));
    }

    // DDIM: one evaluation per step, so a candidate costs the sum over steps of 1 minus its skipped blocks' costs.
    static double HandCost(bool[][] skip)
    {
        double[] costs = [0.3, 0.2, 0.1];
        return skip.Sum(m => 1.0 - Enumerable.Range(0, 3).Where(i => m[i]).Sum(i => costs[i]));
    }

    // Rewards 6 steps (two more than the budget of 4 full evaluations allows) and skipping block "a" late.
    static double Fitness(IReadOnlyList<double> times, BlockStructure? structure)
    {
        int steps = times.Count - 1;
        double value = Math.Abs(steps - 6);
        if (structure is null) return value + 10;
        for (int n = 0; n < steps; n++)
            value += 0.1 * ((structure.Skip[n][0] == n >= steps / 2 ? 0 : 1) + (structure.Skip[n][1] ? 1 : 0) + (structure.Skip[n][2] ? 1 : 0));
        return value;
    }

    static AutoDiffusionOptions Options() => new()
    {
        Nfe = 4, Structure = true, Budget = 4, ExtraSteps = 2, Population = 10, TopK = 3, Iterations = 6, Seed = 3,
    };

    [Fact]
    public void NoCandidateCostsMoreThanTheBudgetAndMoreStepsAreSearched()
    {
        var (_, seen, model, _) = Search(Options(), Fitness);
        Assert.NotEmpty(seen);
        Assert.All(seen, s => Assert.NotNull(s.Skip));
        Assert.All(seen, s => Assert.True(HandCost(s.Skip!) <= 4 + 1e-9, $"{s.Times.Length - 1} steps cost {HandCost(s.Skip!)}"));
        Assert.Equal([4, 5, 6], seen.Select(s => s.Times.Length - 1).Distinct().Order());
        // The standard schedules at 4 steps run every block: they are the time-only baselines.
        Assert.Contains(seen, s => s.Times.Length == 5 && s.Skip!.All(m => !m.Any(b => b)));
        Assert.Null(model.Structure); // restored after every candidate
    }

    [Fact]
    public void TheSearchImprovesOnItsInitialPopulationAndWritesAStructureTheModelReads()
    {
        var options = Options();
        var (summary, seen, model, output) = Search(options, Fitness);
        // The first generation of each step count: its population of candidates.
        var initial = seen.GroupBy(s => s.Times.Length).SelectMany(g => g.Take(options.Population));
        double initialBest = initial.Min(s => Fitness(s.Times, new BlockStructure(s.Times, s.Skip!)));
        double best = (double)summary["bestFitness"]!;
        Assert.True(best < initialBest - 0.05, $"best {best} against the initial best {initialBest}");
        Assert.Equal(6, (int)summary["steps"]!);

        var structure = BlockStructure.Read(Path.Combine(output, SearchOutputs.StructureFile), model.Blocks, "$.model.structure");
        Assert.Equal(best, Fitness(structure.Times, structure), 12);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, SearchOutputs.StructureFile)));
        Assert.Equal(HandCost(structure.Skip.ToArray()), doc.RootElement.GetProperty("cost").GetDouble(), 12);
        Assert.Equal(4.0, doc.RootElement.GetProperty("budget").GetDouble());
        // times.json carries the same times for the 'explicit' time steps.
        using var times = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, SearchOutputs.TimesFile)));
        Assert.Equal(structure.Times, times.RootElement.GetProperty("times").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void TheStructureSpacesCostIsTheHandCount()
    {
        var stub = new SkippableStub(null!);
        var pipeline = Host.Compose(Mixture.Pipeline(solver: "\"type\": \"ddim\"", count: 4));
        var space = new StructureSpace(stub.Blocks, new OptimizationTarget(pipeline).Solver, 3.0);
        bool[][] skip = [[true, false, true], [false, false, false], [true, true, true]];
        double[] times = [1.0, 0.6, 0.3, 0.001];
        // (1 - 0.3 - 0.1) + 1 + (1 - 0.6)
        Assert.Equal(0.6 + 1.0 + 0.4, space.Cost(times, skip), 12);
        Assert.Equal(3 * 0.4, space.MinimumCost(times), 12);
        Assert.True(space.Fits(times, skip));
        Assert.True(space.Fits(times, space.Full(3))); // exactly at the budget
        var tighter = new StructureSpace(stub.Blocks, new OptimizationTarget(pipeline).Solver, 2.5);
        Assert.False(tighter.Fits(times, space.Full(3)));
        var repaired = tighter.Repair(times, space.Full(3), new SearchRandom(1, 0))!;
        Assert.True(tighter.Cost(times, repaired) <= 2.5 + 1e-9);
        Assert.True(tighter.Cost(times, repaired) > 2.5 - 0.3 - 1e-9, "repair skips no more than it must");
        Assert.Null(new StructureSpace(stub.Blocks, new OptimizationTarget(pipeline).Solver, 1.0).Repair(times, space.Full(3), new SearchRandom(1, 0)));
    }

    [Fact]
    public void AStructureSearchOnAModelWithoutSkippableBlocksIsALocatedInputError()
    {
        var pipeline = Host.Compose(Mixture.Pipeline(solver: "\"type\": \"ddim\"", count: 4));
        var target = new ScriptedTarget(new OptimizationTarget(pipeline), _ => 1.0);
        var root = folder.File("plain");
        var error = Assert.Throws<PipelineInputException>(() => new AutoDiffusionSearch(Options()).Optimize(new OptimizationContext
        {
            Target = target, OutputDirectory = Path.Combine(root, "out"), StateDirectory = Path.Combine(root, "state"),
        }));
        Assert.Equal("$.optimizer.structure", error.Path);
        Assert.Contains("skippable blocks", error.Message);
        Assert.False(Directory.Exists(Path.Combine(root, "out", SearchOutputs.StructureFile)));
        Assert.Throws<PipelineInputException>(() => new AutoDiffusionSearch(new AutoDiffusionOptions { Budget = 4 }));
    }
}
