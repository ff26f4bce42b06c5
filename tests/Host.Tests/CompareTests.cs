using Newtonsoft.Json.Linq;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

public class CompareTests
{
    [Fact]
    public void CompareWritesTableCsvAndPlotAndErrorsFallWithNfe()
    {
        using var dir = new TempFolder();
        dir.Write("pipeline.json", Definitions.Gmm(sampling: "\"count\": 64, \"seed\": 1, \"dtype\": \"float64\""));
        var file = dir.Write("compare.json", """
            {
              "name": "small",
              "pipeline": "pipeline.json",
              "nfe": [4, 16, 64],
              "solvers": [
                { "label": "DDIM", "solver": { "type": "ddim" }, "timeSteps": { "type": "time-uniform" } },
                { "label": "Heun", "solver": { "type": "pf-ode", "method": "heun" } }
              ]
            }
            """);
        var r = Cli.Run("compare", file, "--output", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Err);
        foreach (var f in new[] { "compare.md", "compare.csv", "compare.png", "comparison.json", ".pipeline-output.json" })
            Assert.True(File.Exists(Path.Combine(dir.File("out"), f)), f);

        var lines = File.ReadAllLines(Path.Combine(dir.File("out"), "compare.csv"));
        Assert.Equal("solver,budget,nfe,steps,rmse,max-abs-error,seconds,problem", lines[0]);
        Assert.Equal(7, lines.Length);
        double Rmse(string label, int budget) => double.Parse(lines.Single(l => l.StartsWith($"{label},{budget},")).Split(',')[4], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Rmse("DDIM", 4) > Rmse("DDIM", 16) && Rmse("DDIM", 16) > Rmse("DDIM", 64));
        Assert.True(Rmse("Heun", 64) < Rmse("DDIM", 64), "second order beats first order at 64 NFE");
        Assert.Contains("| DDIM |", r.Out);
    }

    [Fact]
    public void RunReportsMetricsAndTheExactErrorShrinksWithSteps()
    {
        using var dir = new TempFolder();
        double Error(int steps)
        {
            var file = dir.Write($"m{steps}.json", Definitions.Gmm(steps: steps, sampling: "\"count\": 32, \"seed\": 2, \"dtype\": \"float64\"",
                extra: ",\n \"metrics\": [ { \"type\": \"exact-ode-error\" } ]"));
            var r = Cli.Run("run", file, "--output", dir.File($"out{steps}"), "--quiet");
            Assert.True(r.ExitCode == 0, r.Err);
            var report = JObject.Parse(File.ReadAllText(Path.Combine(dir.File($"out{steps}"), "report.json")));
            return (double)report["metrics"]!["exact-ode-error"]!["rmse"]!;
        }
        double coarse = Error(10), fine = Error(400);
        Assert.True(fine < coarse / 10, $"rmse {coarse} at 10 steps, {fine} at 400");
        Assert.True(fine < 5e-3, $"DDIM at 400 steps is within {fine} of the exact flow");
    }
}

public class CompareEntryListsTests
{
    [Fact]
    public void AnEntrysGuidanceListReplacesThePipelinesAndAWrongTypeIsAnInputError()
    {
        using var dir = new TempFolder();
        dir.Write("pipeline.json", Definitions.Gmm(sampling: "\"count\": 32, \"seed\": 1, \"dtype\": \"float64\""));
        var file = dir.Write("compare.json", """
            {
              "pipeline": "pipeline.json", "nfe": [8],
              "solvers": [
                { "label": "plain", "solver": { "type": "ddim" } },
                { "label": "clipped", "solver": { "type": "ddim" }, "guidance": [ { "type": "clip", "value": 0.2 } ] }
              ]
            }
            """);
        var r = Cli.Run("compare", file, "--output", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Err);
        var lines = File.ReadAllLines(Path.Combine(dir.File("out"), "compare.csv"));
        double Rmse(string label) => double.Parse(lines.Single(l => l.StartsWith(label + ",")).Split(',')[4], System.Globalization.CultureInfo.InvariantCulture);
        // Clipping x_0 to [-0.2, 0.2] moves samples of a mixture with means near +-1.5 far from the exact flow.
        Assert.True(Rmse("clipped") > 5 * Rmse("plain"), $"clipped {Rmse("clipped")}, plain {Rmse("plain")}");

        var bad = dir.Write("bad.json", """
            { "pipeline": "pipeline.json", "nfe": [8], "solvers": [ { "solver": { "type": "ddim" }, "guidance": { "type": "clip" } } ] }
            """);
        r = Cli.Run("compare", bad, "--output", dir.File("bad"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("guidance", r.Err);
    }
}
