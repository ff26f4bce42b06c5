using System.Text.Json;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Optimization;
using Pipeline.Plugins.Search.Gits;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>GITS: the dynamic programme against brute force, and its schedule on the 8-D mixture.</summary>
public class GitsTests
{
    static readonly PipelineHost Host = new();

    /// <summary>The cheapest path by trying every set of interior grid points.</summary>
    static (int[] Path, double Cost) BruteForce(double[,] cost, int jumps)
    {
        int m = cost.GetLength(0) - 1;
        (int[] Path, double Cost) best = ([], double.PositiveInfinity);
        void Walk(List<int> path)
        {
            if (path.Count == jumps)
            {
                var full = path.Append(m).ToArray();
                double c = Enumerable.Range(0, jumps).Sum(k => cost[full[k], full[k + 1]]);
                if (c < best.Cost) best = (full, c);
                return;
            }
            for (int next = path[^1] + 1; next < m; next++)
            {
                path.Add(next);
                Walk(path);
                path.RemoveAt(path.Count - 1);
            }
        }
        Walk([0]);
        return best;
    }

    [Fact]
    public void TheDynamicProgrammeFindsTheCheapestPathOfExactlyKJumps()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            int m = 4 + trial % 6;
            var cost = new double[m + 1, m + 1];
            // Costs growing with the jump length plus noise, like local errors: neither all-short nor all-long paths win.
            for (int i = 0; i <= m; i++)
                for (int j = i + 1; j <= m; j++) cost[i, j] = Math.Pow(j - i, 1.5 + random.NextDouble()) * (0.5 + random.NextDouble());
            for (int jumps = 1; jumps <= m; jumps++)
            {
                var (path, total) = CheapestPath.Find(cost, jumps);
                var (expectedPath, expected) = BruteForce(cost, jumps);
                Assert.Equal(expected, total, 10);
                Assert.Equal(jumps + 1, path.Length);
                Assert.Equal(0, path[0]);
                Assert.Equal(m, path[^1]);
                Assert.Equal(total, Enumerable.Range(0, jumps).Sum(k => cost[path[k], path[k + 1]]), 10);
                Assert.Equal(expectedPath, path);
            }
        }
    }

    [Fact]
    public void AForbiddenJumpIsAvoidedAndAnImpossiblePathIsRefused()
    {
        var cost = new double[4, 4];
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) cost[i, j] = 1;
        cost[0, 1] = double.PositiveInfinity;
        Assert.Equal([0, 2, 3], CheapestPath.Find(cost, 2).Path);
        Assert.Throws<ArgumentException>(() => CheapestPath.Find(cost, 3));
    }

    static IReadOnlyDictionary<string, object?> Optimize(TempFolder dir, string options, out double[] times)
    {
        File.WriteAllText(dir.File("gits.json"), $$"""
            {
              "name": "gits",
              "pipeline": {{Mixture.Pipeline(count: 128, seed: 0)}},
              "optimizer": { "type": "gits", {{options}} },
              "metric": { "type": "exact-ode-error" }
            }
            """);
        var (folder, summary) = OptimizationRunner.Run(Host, PipelineDefinition.Load(dir.File("gits.json")), dir.File("out"));
        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "times.json")));
        times = written.RootElement.GetProperty("times").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return summary;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void GitsStepsBeatTimeUniformStepsForDdimOnOtherNoise(int nfe)
    {
        using var dir = new TempFolder();
        var summary = Optimize(dir, $"\"nfe\": {nfe}, \"teacherSteps\": 60, \"batch\": 128, \"score\": false", out var times);
        Assert.Equal(nfe + 1, times.Length);
        Assert.Equal(nfe, (int)summary["nfe"]!);

        // Scored on 256 samples of other noise than the 128 that priced the jumps.
        using var pipeline = Host.Compose(Mixture.Pipeline(count: 256, seed: 1));
        var target = new OptimizationTarget(pipeline);
        Assert.Equal(1.0, times[0]);
        Assert.Equal(pipeline.Times[^1], times[^1]);
        double gits = target.Score(times).Value;
        var uniform = Host.Compose(Mixture.Pipeline(count: 1, timeSteps: $"\"type\": \"time-uniform\", \"steps\": {nfe}"));
        double baseline = target.Score(uniform.Times).Value;
        uniform.Dispose();
        Assert.True(gits < 0.95 * baseline, $"NFE {nfe}: GITS {gits} vs time-uniform {baseline}; times {string.Join(", ", times)}");
    }

    [Fact]
    public void AMultistepSolverIsRefusedWithTheReason()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("gits.json"), $$"""
            {
              "pipeline": {{Mixture.Pipeline(count: 8)}},
              "optimizer": { "type": "gits", "nfe": 4, "solver": { "type": "dpm-solver++" } },
              "metric": { "type": "exact-ode-error" }
            }
            """);
        var e = Assert.ThrowsAny<Pipeline.Options.PipelineInputException>(() => OptimizationRunner.Validate(Host, PipelineDefinition.Load(dir.File("gits.json"))));
        Assert.Contains("not a one-step solver", e.Message);
    }
}
