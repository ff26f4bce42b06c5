using Pipeline.Options;
using Pipeline.Plugins.Schedules;
using Pipeline.Schedules;

namespace Pipeline.Tests;

public class DpmSolverTimeStepsTests
{
    static void AssertDecreasing(double[] times)
    {
        for (int i = 1; i < times.Length; i++) Assert.True(times[i] < times[i - 1], $"time {i} does not decrease");
    }

    [Fact]
    public void TimeUniformIsLinearFromTMaxToTMin()
    {
        var times = new TimeUniform(new TimeRangeOptions { Steps = 4 }).Times(Make.Linear());
        Assert.Equal(5, times.Length);
        Assert.Equal(1.0, times[0]);
        Assert.Equal(1e-3, times[^1]);
        for (int i = 0; i < 5; i++) Make.Close(1.0 + i * (1e-3 - 1.0) / 4, times[i], 1e-15, $"t[{i}]");
    }

    [Fact]
    public void TimeQuadraticIsUniformInSquareRootOfTime()
    {
        var s = Make.Vp();
        var times = new TimeQuadratic(new TimeRangeOptions { Steps = 8 }).Times(s);
        Assert.Equal(9, times.Length);
        Assert.Equal(s.TMax, times[0]);
        Assert.Equal(s.TMin, times[^1]);
        double step = Math.Sqrt(times[1]) - Math.Sqrt(times[0]);
        for (int i = 1; i < times.Length; i++)
            Make.Close(step, Math.Sqrt(times[i]) - Math.Sqrt(times[i - 1]), 1e-12, $"sqrt step {i}");
        Assert.True(step < 0);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("cosine")]
    [InlineData("vp-linear")]
    [InlineData("ve")]
    [InlineData("edm")]
    public void LogSnrUniformHasEqualLambdaSteps(string name)
    {
        var s = Make.All[name]();
        var times = new LogSnrUniform(new TimeRangeOptions { Steps = 12 }).Times(s);
        Assert.Equal(13, times.Length);
        Assert.Equal(s.TMax, times[0]);
        Assert.Equal(s.TMin, times[^1]);
        AssertDecreasing(times);
        double h = (s.Lambda(s.TMin) - s.Lambda(s.TMax)) / 12;
        for (int i = 1; i < times.Length; i++)
            Make.Close(h, s.Lambda(times[i]) - s.Lambda(times[i - 1]), 1e-9, $"{name}: lambda step {i}");
    }

    [Fact]
    public void ExplicitEndsAreKept()
    {
        var o = new TimeRangeOptions { Steps = 3, TStart = 0.8, TEnd = 0.01 };
        foreach (ITimeStepSchedule rule in new ITimeStepSchedule[] { new TimeUniform(o), new TimeQuadratic(o), new LogSnrUniform(o) })
        {
            var times = rule.Times(Make.Vp());
            Assert.Equal(0.8, times[0]);
            Assert.Equal(0.01, times[^1]);
            Assert.Equal(4, times.Length);
        }
        // A uniform step may end at clean data.
        var toZero = new TimeUniform(new TimeRangeOptions { Steps = 2, TEnd = 0 }).Times(Make.Linear());
        Assert.Equal([1.0, 0.5, 0.0], toZero);
    }

    [Fact]
    public void OneStepGivesBothEnds()
    {
        var times = new LogSnrUniform(new TimeRangeOptions { Steps = 1 }).Times(Make.Edm());
        Assert.Equal([80.0, 0.002], times);
    }

    [Fact]
    public void BadInputsNameTheOption()
    {
        Assert.Contains("'steps'", Assert.Throws<PipelineInputException>(
            () => new TimeUniform(new TimeRangeOptions { Steps = 0 })).Message);
        Assert.Contains("'tEnd'", Assert.Throws<PipelineInputException>(
            () => new TimeQuadratic(new TimeRangeOptions { TStart = 0.2, TEnd = 0.5 })).Message);
        Assert.Contains("'tEnd'", Assert.Throws<PipelineInputException>(
            () => new LogSnrUniform(new TimeRangeOptions { TEnd = 0 }).Times(Make.Linear())).Message);
        // tStart beyond the schedule's tMax.
        Assert.Contains("'tStart'", Assert.Throws<PipelineInputException>(
            () => new TimeUniform(new TimeRangeOptions { TStart = 2 }).Times(Make.Vp())).Message);
        // tEnd above the default tStart.
        Assert.Contains("'tEnd'", Assert.Throws<PipelineInputException>(
            () => new TimeUniform(new TimeRangeOptions { TEnd = 5 }).Times(Make.Vp())).Message);
    }
}
