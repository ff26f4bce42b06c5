using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>Every kind of bad input stops before running, with exit code 2, the JSON path and line, and nothing written.</summary>
public class DefinitionErrorTests
{
    static Cli.Outcome RunBad(TempFolder dir, string json)
    {
        var file = dir.Write("bad.json", json);
        var outcome = Cli.Run("run", file, "--output", dir.File("out"), "--quiet");
        Assert.False(Directory.Exists(dir.File("out")), "nothing may be written for bad input");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir.Path), p => Path.GetFileName(p).StartsWith('.'));
        return outcome;
    }

    [Fact]
    public void MalformedJsonNamesTheLine()
    {
        using var dir = new TempFolder();
        var r = RunBad(dir, "{\n  \"model\": { \"type\": \"gmm\" \n  \"solver\": 3\n}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("malformed JSON at line 3", r.Err);
    }

    [Fact]
    public void UnknownPluginSuggestsNearName()
    {
        using var dir = new TempFolder();
        var r = RunBad(dir, Definitions.Gmm(solver: "\"type\": \"dmid\""));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.solver.type", r.Err);
        Assert.Contains("unknown solver 'dmid'", r.Err);
        Assert.Contains("Did you mean 'ddim'?", r.Err);
        Assert.Contains("line ", r.Err);
    }

    [Fact]
    public void UnknownOptionSuggestsNearKey()
    {
        using var dir = new TempFolder();
        var r = RunBad(dir, Definitions.Gmm(solver: "\"type\": \"ddim\", \"etta\": 0.5"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.solver.etta", r.Err);
        Assert.Contains("Did you mean 'eta'?", r.Err);
    }

    [Fact]
    public void WrongTypeIsNamed()
    {
        using var dir = new TempFolder();
        var r = RunBad(dir, Definitions.Gmm(solver: "\"type\": \"ddim\", \"eta\": \"high\""));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.solver.eta", r.Err);
        Assert.Contains("must be a number", r.Err);
    }

    [Fact]
    public void OutOfRangeValueIsNamed()
    {
        using var dir = new TempFolder();
        var r = RunBad(dir, Definitions.Gmm(solver: "\"type\": \"ddim\", \"eta\": 7"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.solver.eta", r.Err);
    }

    [Fact]
    public void OutOfRangeSamplingValueIsNamed()
    {
        using var dir = new TempFolder();
        var r = RunBad(dir, Definitions.Gmm(sampling: "\"count\": 0"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.sampling.count", r.Err);
    }

    [Fact]
    public void MissingRequiredValueIsNamed()
    {
        using var dir = new TempFolder();
        var json = Definitions.Gmm().Replace(Definitions.Mixture, "\"model\": { \"type\": \"torchscript\", \"sampleShape\": [2] }");
        var r = RunBad(dir, json);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.model.path", r.Err);
    }

    [Fact]
    public void MissingSectionAndUnknownSection()
    {
        using var dir = new TempFolder();
        var noSolver = RunBad(dir, Definitions.Gmm().Replace("\"solver\": { \"type\": \"ddim\" },", ""));
        Assert.Equal(2, noSolver.ExitCode);
        Assert.Contains("no 'solver' section", noSolver.Err);

        var typo = RunBad(dir, Definitions.Gmm(extra: ",\n \"sampler\": {}"));
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("unknown section 'sampler'", typo.Err);
        Assert.Contains("Did you mean 'sampling'?", typo.Err);
    }

    [Fact]
    public void WrongSampleShapeAndLabelsForUnconditionalModel()
    {
        using var dir = new TempFolder();
        var shape = RunBad(dir, Definitions.Gmm(sampling: "\"count\": 4, \"shape\": [3]"));
        Assert.Equal(2, shape.ExitCode);
        Assert.Contains("$.sampling.shape", shape.Err);

        var labels = RunBad(dir, Definitions.Gmm(sampling: "\"count\": 2, \"labels\": [0, 1]"));
        Assert.Equal(2, labels.ExitCode);
        Assert.Contains("unconditional", labels.Err);
    }

    [Fact]
    public void ImpossibleSolverScheduleCombinationIsRejectedBeforeRunning()
    {
        using var dir = new TempFolder();
        var json = Definitions.Gmm(solver: "\"type\": \"ddpm\"").Replace("{ \"type\": \"discrete\" }", "{ \"type\": \"edm\" }");
        var r = RunBad(dir, json);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.solver", r.Err);
    }

    [Fact]
    public void CorruptInitialNoiseFileIsNamed()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("noise.npy"), [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 10, 0, 1, 2]);
        var r = RunBad(dir, Definitions.Gmm(sampling: "\"count\": 4, \"initialNoise\": \"noise.npy\""));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("noise.npy", r.Err);
        Assert.Contains("$.sampling.initialNoise", r.Err);
    }

    [Fact]
    public void UnknownCommandAndOption()
    {
        Assert.Equal(2, Cli.Run("rn").ExitCode);
        var r = Cli.Run("run", "x.json", "--outptu", "y");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Did you mean '--output'?", r.Err);
    }

    [Fact]
    public void ValidateReportsWithoutRunning()
    {
        using var dir = new TempFolder();
        var file = dir.Write("ok.json", Definitions.Gmm());
        var ok = Cli.Run("validate", file);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("NFE 10", ok.Out);
        var bad = Cli.Run("validate", dir.Write("bad.json", Definitions.Gmm(solver: "\"type\": \"ddim\", \"eta\": -1")));
        Assert.Equal(2, bad.ExitCode);
    }
}
