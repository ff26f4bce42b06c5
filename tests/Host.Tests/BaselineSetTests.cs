using System.Globalization;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Comparison;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>The comparison's generated baseline set and the report's best-baseline marks.</summary>
public class BaselineSetTests
{
    [Fact]
    public void TheSetIsEverySolverWithEverySchedule()
    {
        var entries = TrainingFreeBaselines.Expand(JObject.Parse("""{ "baseline": "training-free", "nfe": [3, 5] }"""));
        Assert.Equal(TrainingFreeBaselines.Solvers.Count * TrainingFreeBaselines.Schedules.Count, entries.Count);
        Assert.True(entries.Count >= 22 * 8, $"{entries.Count} baselines");
        Assert.Equal(entries.Count, entries.Select(e => e.Label).Distinct().Count());
        Assert.All(entries, e => Assert.True(e.Baseline && e.Budgets is [3, 5]));
        foreach (var schedule in new[] { "logsnr-uniform", "time-uniform", "time-quadratic", "karras" })
            Assert.Contains(entries, e => (string?)e.TimeSteps!["type"] == schedule && (string?)e.Solver["type"] == "unipc");
    }

    [Theory]
    [InlineData("""{ "baseline": "all" }""", "training-free")]
    [InlineData("""{ "baseline": "training-free", "nfe": [0] }""", "positive budgets")]
    [InlineData("""{ "baseline": "training-free", "solver": { "type": "ddim" } }""", "unknown key 'solver'")]
    public void AWrongBaselineEntryIsAnInputError(string item, string expected)
    {
        using var dir = new TempFolder();
        dir.Write("pipeline.json", Definitions.Gmm(sampling: "\"count\": 8, \"seed\": 1, \"dtype\": \"float64\""));
        var file = dir.Write("compare.json", $$"""{ "pipeline": "pipeline.json", "nfe": [4], "solvers": [ {{item}} ] }""");
        var r = Cli.Run("compare", file, "--output", dir.File("out"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Err);
        Assert.Contains("$.solvers[0]", r.Err);
    }

    [Fact]
    public void EveryBaselineRunsAtExactlyItsNfeAndTheOnesThatCannotAreSkipped()
    {
        using var dir = new TempFolder();
        dir.Write("pipeline.json", Definitions.Gmm(sampling: "\"count\": 8, \"seed\": 1, \"dtype\": \"float64\""));
        var file = dir.Write("compare.json", """
            {
              "pipeline": "pipeline.json", "nfe": [3, 4],
              "solvers": [
                { "label": "DDIM searched", "solver": { "type": "ddim" }, "timeSteps": { "type": "time-quadratic" } },
                { "baseline": "training-free" }
              ]
            }
            """);
        var r = Cli.Run("compare", file, "--output", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Err);
        var lines = File.ReadAllLines(Path.Combine(dir.File("out"), "compare.csv"));
        var header = lines[0].Split(',');
        Assert.Equal(["baseline", "gain-vs-best-baseline-percent"], header[^2..]);
        var rows = lines.Skip(1).Select(Split).ToList();
        int baselines = TrainingFreeBaselines.Solvers.Count * TrainingFreeBaselines.Schedules.Count;
        Assert.Equal(2 * (baselines + 1), rows.Count);

        string[] Row(string label, int budget) => rows.Single(c => c[0] == label && c[1] == budget.ToString(CultureInfo.InvariantCulture));
        int ran = 0;
        foreach (var c in rows.Where(c => c[^2] == "true"))
        {
            if (c[^3].Length > 0) continue;
            ran++;
            Assert.True(c[1] == c[2], $"{c[0]}: budget {c[1]} but NFE {c[2]}");
        }
        Assert.True(ran > baselines, $"{ran} baseline runs");
        // Heun spends 2 evaluations a step: NFE 3 is impossible (skipped, not run at 2), NFE 4 is 2 steps.
        Assert.StartsWith("skipped: no step count spends exactly 3", Row("PF-ODE Heun, time-uniform", 3)[^3]);
        Assert.Equal("2", Row("PF-ODE Heun, time-uniform", 4)[3]);
        // Fixed-order DPM-Solver-2 needs an even step count: 3 is skipped, 4 runs as 2 second-order steps on 4 intervals.
        Assert.StartsWith("skipped", Row("DPM-Solver-2 (singlestep), logSNR", 3)[^3]);
        Assert.Equal("4", Row("DPM-Solver-2 (singlestep), logSNR", 4)[2]);
        Assert.Equal("3", Row("DPM-Solver++(2M), logSNR", 3)[3]);

        // The optimized row's gain is against the lowest baseline at that NFE.
        foreach (int budget in new[] { 3, 4 })
        {
            double best = rows.Where(c => c[^2] == "true" && c[1] == budget.ToString(CultureInfo.InvariantCulture) && c[4].Length > 0)
                .Min(c => double.Parse(c[4], CultureInfo.InvariantCulture));
            var mine = Row("DDIM searched", budget);
            double gain = 100 * (best - double.Parse(mine[4], CultureInfo.InvariantCulture)) / best;
            Assert.Equal(gain, double.Parse(mine[^1], CultureInfo.InvariantCulture), 2);
        }
        Assert.Contains("| best training-free baseline |", r.Out);
    }

    [Fact]
    public void TheReportMarksTheBestBaselineAndEachOtherRowsGain()
    {
        static ComparisonRow Row(string label, int budget, double value, bool baseline) =>
            new(label, budget, budget, budget, new Dictionary<string, double> { ["rmse"] = value }, 0.1, null, baseline);
        var rows = new List<ComparisonRow>
        {
            Row("A", 4, 0.5, true), Row("B", 4, 0.4, true), Row("A", 6, 0.2, true), Row("B", 6, 0.25, true),
            Row("searched", 4, 0.3, false), Row("searched", 6, 0.25, false),
            new("B", 5, 0, 0, new Dictionary<string, double>(), 0, "skipped: no step count spends exactly 5", true),
        };
        var best = ComparisonReport.BestBaselines(rows);
        Assert.Equal("B", best[4].Label);
        Assert.Equal("A", best[6].Label);
        Assert.False(best.ContainsKey(5));
        Assert.Equal(25.0, ComparisonReport.Gain(rows[4], best)!.Value, 10);
        Assert.Equal(-25.0, ComparisonReport.Gain(rows[5], best)!.Value, 10);

        var md = ComparisonReport.Markdown(rows, "rmse");
        Assert.Contains("| B | **4.000e-1**", md);
        Assert.Contains("| A | 5.000e-1<br>0.10s |  | **2.000e-1**", md);
        Assert.Contains("3.000e-1 (+25.0%)", md);
        Assert.Contains("2.500e-1 (-25.0%)", md);
        Assert.Contains("| best training-free baseline | 4.000e-1<br>B |  | 2.000e-1<br>A |", md);

        var csv = ComparisonReport.Csv(rows).Split('\n');
        Assert.EndsWith("baseline,gain-vs-best-baseline-percent", csv[0]);
        Assert.EndsWith(",false,25", csv[5]);
        Assert.EndsWith(",true,0", csv[2]);
    }

    /// <summary>Splits a CSV line whose quoted fields hold no quotes.</summary>
    static string[] Split(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char ch in line)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        cells.Add(cell.ToString());
        return [.. cells];
    }
}
