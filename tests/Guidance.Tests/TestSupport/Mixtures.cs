using Pipeline.Host.Runtime;
using Pipeline.Plugins.Models;
using Pipeline.Plugins.Schedules;
using Pipeline.Schedules;

namespace Pipeline.Tests.TestSupport;

/// <summary>The mixtures and schedules the guidance tests run on.</summary>
public static class Mixtures
{
    /// <summary>Three 2-D components 5 to 9 apart with stds 0.4 to 0.6: posteriors at t = 0 are 0 or 1 to many digits.</summary>
    public static GaussianMixtureModel Separated(bool conditional = true) => new(new GaussianMixtureOptions
    {
        Weights = [0.5, 0.3, 0.2],
        Means = [[-3.0, -1.0], [3.0, -1.0], [0.0, 4.0]],
        Stds = [[0.5], [0.4, 0.6], [0.45]],
        Conditional = conditional,
    });

    /// <summary>Three overlapping 2-D components: the exact conditional samples of one are often classified as another.</summary>
    public static GaussianMixtureModel Overlapping(bool conditional = true) => new(new GaussianMixtureOptions
    {
        Weights = [0.4, 0.35, 0.25],
        Means = [[-0.6, 0.0], [0.6, 0.0], [0.0, 0.9]],
        Stds = [[0.6], [0.6], [0.6]],
        Conditional = conditional,
    });

    public static INoiseSchedule DiscreteLinear() => new DiscreteSchedule(new DiscreteScheduleOptions());

    public static INoiseSchedule ContinuousVp() => new VpLinearSchedule(new VpLinearScheduleOptions());

    public static INoiseSchedule Ve() => new VeSchedule(new VeScheduleOptions());

    public static ModelAdapter Adapter(GaussianMixtureModel model, INoiseSchedule schedule) => new(model, schedule);

    /// <summary>n + 1 times uniform in log-SNR from TMax down to <paramref name="end"/> (&gt; 0).</summary>
    public static double[] LogSnrTimes(INoiseSchedule schedule, int n, double end)
    {
        double l0 = schedule.Lambda(schedule.TMax), l1 = schedule.Lambda(end);
        return Enumerable.Range(0, n + 1)
            .Select(i => i == 0 ? schedule.TMax : i == n ? end : schedule.TimeOfLambda(l0 + (l1 - l0) * i / n)).ToArray();
    }
}
