using Pipeline.Schedules;

namespace Pipeline.Host.Composition;

/// <summary>What every run's times must satisfy, checked before a solver sees them (composition and optimizer candidates).</summary>
public static class TimeGrid
{
    /// <summary>Why <paramref name="times"/> cannot be run on <paramref name="schedule"/>, or null when they can.</summary>
    public static string? Problem(IReadOnlyList<double> times, INoiseSchedule schedule)
    {
        if (times.Count < 2)
            return "the time-step schedule gave fewer than two times; ask for at least one step";
        for (int i = 0; i < times.Count; i++)
        {
            if (!double.IsFinite(times[i]) || times[i] < 0 || times[i] > schedule.TMax * (1 + 1e-12))
                return $"time {i} is {times[i]}, outside the noise schedule's range [0, {schedule.TMax}]";
            if (i > 0 && !(times[i] < times[i - 1]))
                return $"times must strictly decrease, but time {i} ({times[i]}) follows {times[i - 1]}";
        }
        if (times[^2] < schedule.TMin * (1 - 1e-9))
            return $"the model would be evaluated at t = {times[^2]}, below the schedule's smallest time {schedule.TMin}; only the final time may go below it (to 0)";
        return null;
    }
}
