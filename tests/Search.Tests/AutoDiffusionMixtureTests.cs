using System.Text.Json;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Optimization;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>AutoDiffusion through the optimize command's runner on the 8-D mixture, scored by the exact-ODE error.</summary>
public class AutoDiffusionMixtureTests
{
    static readonly PipelineHost Host = new();

    static (string Folder, IReadOnlyDictionary<string, object?> Summary) Optimize(TempFolder dir, string file, string output,
        Action<Pipeline.Optimizers.OptimizationProgress>? progress = null, CancellationToken cancellation = default) =>
        OptimizationRunner.Run(Host, PipelineDefinition.Load(dir.File(file)), dir.File(output), progress: progress, cancellation: cancellation);

    /// <summary>The times a pipeline with these time steps runs at, as the time-step plugin gives them.</summary>
    static IReadOnlyList<double> TimesOf(string solver, string timeSteps)
    {
        using var pipeline = Host.Compose(Mixture.Pipeline(solver: solver, timeSteps: timeSteps, count: 1));
        return pipeline.Times;
    }

    [Theory]
    [InlineData("\"type\": \"ddim\"")]
    [InlineData("\"type\": \"dpm-solver++\"")]
    public void TheSearchedScheduleBeatsTimeUniformLogSnrAndQuadraticAtNfe4(string solver)
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("search.json"), Mixture.Search(Mixture.Pipeline(solver: solver, count: 200),
            "\"nfe\": 4, \"population\": 10, \"topK\": 4, \"iterations\": 5, \"seed\": 1"));
        var (folder, summary) = Optimize(dir, "search.json", "out");
        Assert.Equal(4, (int)summary["nfe"]!);

        // Score every schedule again on the search's samples (one exact solution serves them all), the searched one as
        // the 'explicit' plugin reads it from times.json.
        using var pipeline = Host.Compose(Mixture.Pipeline(solver: solver, count: 200));
        var target = new OptimizationTarget(pipeline);
        string file = Path.Combine(folder, "times.json").Replace("\\", "/");
        double searched = target.Score(TimesOf(solver, $"\"type\": \"explicit\", \"file\": \"{file}\", \"steps\": 4")).Value;
        Assert.Equal((double)summary["bestFitness"]!, searched, 12);
        foreach (var standard in new[] { "time-uniform", "logsnr-uniform", "time-quadratic" })
        {
            double baseline = target.Score(TimesOf(solver, $"\"type\": \"{standard}\", \"steps\": 4")).Value;
            Assert.True(searched < 0.99 * baseline, $"{standard}: searched {searched} vs {baseline}");
        }
    }

    [Fact]
    public void AJointSearchOverSolversFindsDpmSolverPlusPlusStepsThatBeatItsStandardGridsAndReportsTheBestPair()
    {
        using var dir = new TempFolder();
        const string Dpm = """{ "type": "dpm-solver++", "order": 2, "method": "multistep" }""";
        File.WriteAllText(dir.File("search.json"), Mixture.Search(Mixture.Pipeline(count: 200),
            $$"""
            "nfe": 4, "population": 10, "topK": 4, "iterations": 5, "seed": 1,
            "solvers": [ { "type": "ddim" }, {{Dpm}} ]
            """));
        var (folder, summary) = Optimize(dir, "search.json", "out");
        var pairs = ((IEnumerable<object?>)summary["pairs"]!).Cast<IReadOnlyDictionary<string, object?>>().ToList();
        Assert.Equal(2, pairs.Count);
        foreach (var pair in pairs)
        {
            Assert.Equal(4, (int)pair["nfe"]!);
            var baselines = (IReadOnlyDictionary<string, double?>)pair["baselines"]!;
            Assert.Equal(3, baselines.Count);
            double searched = (double)pair["bestFitness"]!, standard = baselines.Values.Min(v => v!.Value);
            // The standard grids are candidates too, so a search that found nothing better would score exactly them.
            Assert.True(searched < 0.99 * standard, $"{JsonSerializer.Serialize(pair["solver"])}: searched {searched} vs the best standard grid {standard}");
        }
        var best = pairs.MinBy(p => (double)p["bestFitness"]!)!;
        Assert.Equal((double)best["bestFitness"]!, (double)summary["bestFitness"]!);
        Assert.Equal(JsonSerializer.Serialize(best["solver"]), JsonSerializer.Serialize(summary["solver"]));

        // times.json names the solver the times belong to; rescored with that solver they give the reported fitness.
        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "times.json")));
        var solver = System.Text.Json.Nodes.JsonNode.Parse(written.RootElement.GetProperty("solver").GetRawText())!.AsObject();
        var times = written.RootElement.GetProperty("times").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var definition = PipelineDefinition.Load(dir.File("search.json"));
        using var pipeline = Host.Compose(Mixture.Pipeline(count: 200));
        var target = new OptimizationTarget(pipeline, Host.CatalogFor(definition));
        Assert.Equal((double)summary["bestFitness"]!, target.Score(times, target.CreateSolver(solver, "$.solver")).Value, 12);
        foreach (var pair in pairs)
        {
            using var own = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, (string)pair["file"]!)));
            Assert.Equal((double[])pair["times"]!, own.RootElement.GetProperty("times").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        }
        Assert.Equal(2, File.ReadAllLines(Path.Combine(folder, "search.csv")).Skip(1)
            .Select(l => l.Contains("dpm-solver++") ? "dpm" : "ddim").Distinct().Count());
    }

    [Fact]
    public void ASolversEntryThatIsNoSolverIsAnInputErrorAtItsPath()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("search.json"), Mixture.Search(Mixture.Pipeline(count: 8),
            "\"nfe\": 4, \"solvers\": [ { \"type\": \"ddim\" }, { \"type\": \"karras\" } ]"));
        var e = Assert.ThrowsAny<Pipeline.Options.PipelineInputException>(() => OptimizationRunner.Validate(Host, PipelineDefinition.Load(dir.File("search.json"))));
        Assert.Contains("$.optimizer.solvers[1]", e.Message);
        Assert.Contains("karras", e.Message);
    }

    [Fact]
    public void TheStandardSeedsAreTheTimeStepPluginsSchedulesToTheBit()
    {
        using var pipeline = Host.Compose(Mixture.Pipeline(count: 1));
        var space = new Pipeline.Plugins.Search.AutoDiffusion.TimeCoordinates(pipeline.Schedule, pipeline.Times[0], pipeline.Times[^1], 6,
            Pipeline.Plugins.Search.AutoDiffusion.SearchSpace.LogSnr);
        var seeds = space.Standard().ToDictionary(s => s.Name, s => s.Times);
        Assert.Equal(3, seeds.Count);
        foreach (var (name, times) in seeds)
            Assert.Equal(TimesOf("\"type\": \"ddim\"", $"\"type\": \"{name}\", \"steps\": 6"), times);
    }

    [Fact]
    public void AnInterruptedSearchResumesToTheResultOfAnUninterruptedOne()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("search.json"), Mixture.Search(Mixture.Pipeline(count: 64),
            "\"nfe\": 4, \"population\": 6, \"topK\": 3, \"iterations\": 3, \"seed\": 5"));
        var (whole, wholeSummary) = Optimize(dir, "search.json", "whole");
        Assert.Equal(0, (int)wholeSummary["resumedCandidates"]!);

        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Optimize(dir, "search.json", "parts",
            p => { if (p.Done == 9) stop.Cancel(); }, stop.Token));
        Assert.False(Directory.Exists(dir.File("parts")), "an interrupted search writes no output folder");
        Assert.True(Directory.Exists(OptimizationRunner.StateFolder(dir.File("parts"))), "its state is kept");

        var (parts, partsSummary) = Optimize(dir, "search.json", "parts");
        Assert.Equal(9, (int)partsSummary["resumedCandidates"]!);
        Assert.Equal(wholeSummary["candidates"], partsSummary["candidates"]);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "times.json")), File.ReadAllText(Path.Combine(parts, "times.json")));
        // Every candidate in the same order with the same score; only the seconds column may differ.
        static IEnumerable<string> Rows(string folder) => File.ReadAllLines(Path.Combine(folder, "search.csv"))
            .Select(l => l.Split(',')).Select(c => string.Join(",", c[..5].Concat(c[6..])));
        Assert.Equal(Rows(whole), Rows(parts));
    }

    [Fact]
    public void TheExampleSearchesComposeAndPassTheirChecks()
    {
        foreach (var name in new[] { "search-gmm-8d.json", "search-mnist.json" })
        {
            var file = PipelineDefinition.Load(Path.Combine(RepoRoot, "examples", name));
            var pipeline = PipelineDefinition.Referenced(file.Document["pipeline"], file, "an optimization file");
            using var composed = Host.Compose(pipeline);
            var spec = (Newtonsoft.Json.Linq.JObject)file.Document["optimizer"]!;
            var (optimizer, _) = new Pipeline.Host.Composition.PipelineComposer(Host.CatalogFor(pipeline))
                .BuildPlugin<Pipeline.Optimizers.IOfflineOptimizer>(spec, Pipeline.Plugins.PluginKinds.OfflineOptimizer, composed.Environment);
            Assert.Empty(optimizer.Check(new OptimizationTarget(composed, Host.CatalogFor(pipeline))));
        }
    }

    static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Pipeline.sln not found above the test folder");
        }
    }
}
