using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>A name becomes the default output folder (runs/&lt;name&gt;), so anything but a plain file name is an input error at $.name.</summary>
public class RunNameTests
{
    public static TheoryData<string> BadNames => new()
    {
        "..", ".", "", "   ", " padded", "padded ", "a/b", "/tmp/elsewhere", "a\\\\b", "nul\\u0000inside", "tab\\there", new string('n', 300),
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void ANameThatIsNotAPlainFileNameIsAnInputErrorAtItsPlace(string name)
    {
        using var dir = new TempFolder();
        var file = dir.Write("run.json", Definitions.Gmm(extra: $",\n  \"name\": \"{name}\""));
        var r = Cli.Run("validate", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.name (line 7", r.Err);
        Assert.Contains("plain file name", r.Err);
    }

    [Theory]
    [InlineData("gmm-ddim", true)]
    [InlineData("run 2.final_v3", true)]
    [InlineData("..", false)]
    [InlineData(".", false)]
    [InlineData("a/b", false)]
    [InlineData("a\\b", false)]
    [InlineData(" x", false)]
    [InlineData("x ", false)]
    [InlineData("tab\tx", false)]
    public void TheSchemaPatternAgreesWithTheCheck(string name, bool valid)
    {
        Assert.Equal(valid, Pipeline.Host.Definitions.RunName.Problem(name) is null);
        Assert.Equal(valid, System.Text.RegularExpressions.Regex.IsMatch(name, Pipeline.Host.Definitions.RunName.Pattern));
    }

    [Fact]
    public void ANameFromAFileNameThatIsNotPlainSuggestsAddingName()
    {
        using var dir = new TempFolder();
        var file = dir.Write(" spaced.json", Definitions.Gmm());
        var r = Cli.Run("validate", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("taken from the file name", r.Err);
        Assert.Contains("add \"name\"", r.Err);
    }

    [Fact]
    public void ANameThatIsNotAStringIsAnInputError()
    {
        using var dir = new TempFolder();
        var r = Cli.Run("validate", dir.Write("run.json", Definitions.Gmm(extra: ",\n  \"name\": 5")));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.name", r.Err);
    }

    [Fact]
    public void DotDotWithOverwriteNoLongerReplacesTheWorkingFolder()
    {
        using var dir = new TempFolder();
        var file = dir.Write("run.json", Definitions.Gmm(sampling: "\"count\": 2, \"seed\": 1",
            extra: ",\n  \"name\": \"..\",\n  \"outputs\": { \"overwrite\": true }"));
        var runs = Path.Combine(dir.Path, "runs");
        Directory.CreateDirectory(runs);
        var r = CliProcess.Run(runs, "run", file, "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.name", r.Err);
        Assert.True(File.Exists(file), "the definition beside runs/ must survive");
    }

    [Fact]
    public void AnEmptyNameWithOverwriteLeavesRunsAlone()
    {
        using var dir = new TempFolder();
        var file = dir.Write("run.json", Definitions.Gmm(sampling: "\"count\": 2, \"seed\": 1", extra: ",\n  \"name\": \"\""));
        var earlier = Path.Combine(dir.Path, "runs", "earlier");
        Directory.CreateDirectory(earlier);
        File.WriteAllText(Path.Combine(earlier, "samples.npy"), "kept");
        var r = CliProcess.Run(dir.Path, "run", file, "--overwrite", "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.name", r.Err);
        Assert.True(File.Exists(Path.Combine(earlier, "samples.npy")));
    }

    [Fact]
    public void CompareOptimizeAndTrainCheckTheirNamesToo()
    {
        using var dir = new TempFolder();
        dir.Write("pipeline.json", Definitions.Gmm());
        var compare = dir.Write("compare.json", """
            { "name": "../up", "pipeline": "pipeline.json", "nfe": [4], "solvers": [ { "solver": { "type": "ddim" } } ] }
            """);
        var optimize = dir.Write("optimize.json", """
            { "name": "..", "pipeline": "pipeline.json", "optimizer": { "type": "analytic-dpm" } }
            """);
        var train = dir.Write("bad.train.json", """
            { "name": "/abs", "network": "mnist-lenet", "steps": 1 }
            """);
        foreach (var args in new[] { new[] { "compare", compare }, ["optimize", optimize], ["validate", optimize], ["train", train] })
        {
            var r = Cli.Run([.. args, "--quiet"]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: {r.Err}");
            Assert.Contains("$.name (line 1", r.Err);
        }
    }
}
