using Pipeline.IO;
using Pipeline.Options;
using Pipeline.Plugins.Schedules;
using Pipeline.Sampling;
using TorchSharp;

namespace Pipeline.Tests;

public sealed class ExplicitTimeStepsTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("explicit-steps-").FullName;

    RunEnvironment Env => new(torch.CPU, torch.ScalarType.Float32, folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void InlineTimesAreReturnedAsGiven()
    {
        var times = new ExplicitTimeSteps(new ExplicitTimeStepsOptions { Times = [0.9, 0.5, 0.1, 0.0] }, Env).Times(Make.Vp());
        Assert.Equal([0.9, 0.5, 0.1, 0.0], times);
    }

    [Fact]
    public void IndicesMapToTrainingStepTimes()
    {
        var times = new ExplicitTimeSteps(new ExplicitTimeStepsOptions { Indices = [999, 499, 0], AppendZero = true }, Env).Times(Make.Linear());
        Assert.Equal([1.0, 0.5, 0.001, 0.0], times);
    }

    [Fact]
    public void NpyFileIsReadRelativeToTheBaseDirectory()
    {
        using (var t = torch.tensor(new[] { 60.0, 10.0, 1.0, 0.01 }, dtype: torch.ScalarType.Float64))
            NpyFile.Write(Path.Combine(folder, "steps.npy"), t);
        var times = new ExplicitTimeSteps(new ExplicitTimeStepsOptions { File = "steps.npy", Steps = 3 }, Env).Times(Make.Edm());
        Assert.Equal([60.0, 10.0, 1.0, 0.01], times);
    }

    [Fact]
    public void JsonFilesHoldAnArrayOrAnObject()
    {
        File.WriteAllText(Path.Combine(folder, "a.json"), "[1.0, 0.25, 0.002]");
        File.WriteAllText(Path.Combine(folder, "b.json"), "{\"indices\": [9, 4, 0]}");
        Assert.Equal([1.0, 0.25, 0.002], new ExplicitTimeSteps(new ExplicitTimeStepsOptions { File = "a.json" }, Env).Times(Make.Vp()));
        Assert.Equal([1.0, 0.5, 0.1], new ExplicitTimeSteps(new ExplicitTimeStepsOptions { File = "b.json" }, Env).Times(Make.Linear(10)));
    }

    [Theory]
    [InlineData(new[] { 0.9, 0.5, 0.5, 0.1 }, "'times'")]   // not strictly decreasing
    [InlineData(new[] { 0.2, 0.5 }, "'times'")]             // increasing
    [InlineData(new[] { 0.5 }, "'times'")]                  // one time, no step
    [InlineData(new[] { 1.5, 0.5 }, "'times'")]             // above tMax
    [InlineData(new[] { 0.5, -0.1 }, "'times'")]            // negative
    [InlineData(new[] { 0.5, 0.0001, 0.0 }, "'times'")]     // evaluates the model below tMin
    public void BadListsNameTheOption(double[] list, string option)
    {
        var e = Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions { Times = list }, Env).Times(Make.Vp()));
        Assert.Contains(option, e.Message);
    }

    [Fact]
    public void BadSourcesNameTheOption()
    {
        Assert.Contains("'times'", Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions(), Env)).Message);
        Assert.Contains("'indices'", Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions { Times = [1, 0], Indices = [5, 1] }, Env)).Message);
        Assert.Contains("'file'", Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions { File = "missing.npy" }, Env)).Message);
        Assert.Contains("'indices'", Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions { Indices = [5, 1] }, Env).Times(Make.Vp())).Message);
        Assert.Contains("'indices'", Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions { Indices = [1000, 1] }, Env).Times(Make.Linear())).Message);
        Assert.Contains("'steps'", Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions { Times = [1, 0.5, 0], Steps = 5 }, Env).Times(Make.Vp())).Message);
        File.WriteAllText(Path.Combine(folder, "bad.json"), "{\"steps\": 3}");
        Assert.Contains("'file'", Assert.Throws<PipelineInputException>(
            () => new ExplicitTimeSteps(new ExplicitTimeStepsOptions { File = "bad.json" }, Env)).Message);
    }
}
