using Pipeline.Schedules;

namespace Pipeline.SolverKit;

/// <summary>
/// The noise schedule at one time of the run, in double precision on the host:
/// x_t = alpha x_0 + sigma eps, lambda = log(alpha / sigma).
/// </summary>
/// <param name="T">The time t (0 is the clean data).</param>
/// <param name="LogAlpha">log alpha_t.</param>
/// <param name="Alpha">alpha_t, the data's scale.</param>
/// <param name="Sigma">sigma_t, the noise's scale.</param>
/// <param name="Lambda">The half log-SNR lambda_t = log alpha_t - log sigma_t (+infinity at t = 0).</param>
public readonly record struct TimePoint(double T, double LogAlpha, double Alpha, double Sigma, double Lambda)
{
    /// <summary>
    /// The noise ratio rho = sigma / alpha: Karras et al.'s sigma of the scaled variable x / alpha (EDM eq. (4)); equal to
    /// sigma on VE and EDM schedules, where alpha = 1.
    /// </summary>
    public double Rho => Sigma / Alpha;

    /// <summary>Schedule values at <paramref name="t"/>; t = 0 is the clean data (sigma = 0, lambda = +infinity).</summary>
    /// <param name="schedule">The run's noise schedule.</param>
    /// <param name="t">A time in [0, TMax].</param>
    public static TimePoint At(INoiseSchedule schedule, double t)
    {
        if (t == 0) return new(0, 0, 1, 0, double.PositiveInfinity);
        double logAlpha = schedule.LogAlpha(t), sigma = schedule.Sigma(t);
        return new(t, logAlpha, Math.Exp(logAlpha), sigma, logAlpha - Math.Log(sigma));
    }

    /// <summary>Schedule values at every one of <paramref name="times"/>, in order.</summary>
    /// <param name="schedule">The run's noise schedule.</param>
    /// <param name="times">Times in [0, TMax].</param>
    public static TimePoint[] Along(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        times.Select(t => At(schedule, t)).ToArray();
}
