using Pipeline.Plugins.Schedules;
using Pipeline.Schedules;

namespace Pipeline.Tests;

/// <summary>The discrete schedule's modelTime: exact by default, the nearest training step with 'nearest-step'.</summary>
public class ModelTimeRuleTests
{
    [Fact]
    public void ExactIsTheSolversTime()
    {
        IModelTimeConvention s = new DiscreteSchedule(new DiscreteScheduleOptions());
        foreach (double t in new[] { 0.0004, 0.1234567, 0.5, 1.0 }) Assert.Equal(t, s.ModelTime(t));
    }

    [Theory]
    [InlineData(0.1234567, 0.123)]  // t N - 1 = 122.46 -> step 122 -> t = 123 / N
    [InlineData(0.1236, 0.124)]     // 122.6 -> 123
    [InlineData(0.0004, 0.001)]     // below the first step: step 0
    [InlineData(1.0, 1.0)]
    public void NearestStepRoundsToATrainingStep(double t, double expected)
    {
        IModelTimeConvention s = new DiscreteSchedule(new DiscreteScheduleOptions { ModelTime = ModelTimeRule.NearestStep });
        Assert.Equal(expected, s.ModelTime(t), 15);
    }
}
