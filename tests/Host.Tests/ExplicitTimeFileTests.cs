using Pipeline.IO;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>An explicit time-step file is one list of times; another shape is refused, not flattened.</summary>
public class ExplicitTimeFileTests
{
    static string Definition(string file) => Definitions.Gmm().Replace(
        "\"timeSteps\": { \"type\": \"time-uniform\", \"steps\": 10 }", $"\"timeSteps\": {{ \"type\": \"explicit\", \"file\": \"{file}\" }}");

    [Fact]
    public void ATwoDimensionalTimesArrayIsALocatedError()
    {
        using var dir = new TempFolder();
        using (var times = torch.tensor(Enumerable.Range(0, 10).Select(i => 1.0 - 0.1 * i).ToArray()))
        using (var grid = times.reshape(2, 5))
            NpyFile.Write(dir.File("times.npy"), grid);
        var r = Cli.Run("validate", dir.Write("run.json", Definition("times.npy")));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.timeSteps (line 4", r.Err);
        Assert.Contains("shape [2, 5]", r.Err);
        Assert.Contains("1-D", r.Err);
    }

    [Fact]
    public void AOneDimensionalTimesArrayIsUsed()
    {
        using var dir = new TempFolder();
        using (var times = torch.tensor(new[] { 1.0, 0.8, 0.6, 0.4, 0.2, 0.05 }))
            NpyFile.Write(dir.File("times.npy"), times);
        var r = Cli.Run("validate", dir.Write("run.json", Definition("times.npy")));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("5 steps (explicit)", r.Out);
    }
}
