using Pipeline.Schedules;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The noise schedule at one time of the run, in double precision on the host:
/// x_t = alpha x_0 + sigma eps, lambda = log(alpha / sigma).
/// </summary>
internal readonly record struct TimePoint(double T, double LogAlpha, double Alpha, double Sigma, double Lambda)
{
    /// <summary>Schedule values at <paramref name="t"/>; t = 0 is the clean data (sigma = 0, lambda = +infinity).</summary>
    public static TimePoint At(INoiseSchedule schedule, double t)
    {
        if (t == 0) return new(0, 0, 1, 0, double.PositiveInfinity);
        double logAlpha = schedule.LogAlpha(t), sigma = schedule.Sigma(t);
        return new(t, logAlpha, Math.Exp(logAlpha), sigma, logAlpha - Math.Log(sigma));
    }

    public static TimePoint[] Along(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        times.Select(t => At(schedule, t)).ToArray();
}
