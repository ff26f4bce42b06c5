using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Host.Composition;

/// <summary>
/// Whether the run's dtype holds the noise schedule at the times a run visits. Solvers compute their coefficients in
/// double precision and hand them to libtorch as the run's dtype; a schedule whose alpha vanishes (large betas) or whose
/// sigma exceeds the type's range (a large sigmaMax in float16) fails there mid-run, so it is refused here.
/// </summary>
public static class SchedulePrecision
{
    // x_T = sigma(t_0) z and the states after it reach several sigma; this keeps room for |z| up to 8.
    const double Headroom = 8;

    /// <summary>Why <paramref name="type"/> cannot hold <paramref name="schedule"/> at <paramref name="times"/>, or null.</summary>
    public static string? Problem(IReadOnlyList<double> times, INoiseSchedule schedule, torch.ScalarType type)
    {
        string name = PrecisionRange.Name(type);
        double max = PrecisionRange.MaxFinite(type);
        for (int i = 0; i < times.Count; i++)
        {
            double t = times[i];
            if (t <= 0) continue; // the clean end: alpha = 1 (VP) or sigma = 0, never a coefficient's denominator
            double alpha = schedule.Alpha(t), sigma = schedule.Sigma(t);
            // alphas_cumprod = alpha^2 must stay above 0 in the type, and 1 / alpha (x_0 = (x - sigma eps) / alpha) finite.
            double alphaSquared = alpha * alpha;
            if (!(alphaSquared >= PrecisionRange.MinPositive(type) && 1 / alpha <= max))
                return $"the noise schedule's alphas_cumprod (alpha(t)^2) is {alphaSquared:G4} at t = {t:G6} (time {i} of the run), " +
                       $"which {name} cannot hold above 0 with 1 / alpha finite (its smallest positive value is {PrecisionRange.MinPositive(type):G4}): " +
                       "the signal vanishes. Use smaller betas (betaStart, betaEnd, betas) or fewer training steps" + (type == torch.ScalarType.Float64 ? "" : ", or float64");
            double ratio = sigma / alpha;
            if (!double.IsFinite(ratio) || ratio * Headroom > max)
                return $"the noise schedule's sigma(t) / alpha(t) is {ratio:G6} at t = {t:G6} (time {i} of the run); samples of {Headroom} times it " +
                       $"exceed {name}'s largest finite value {max:G6}. Lower the largest sigma (sigmaMax) to at most {max / Headroom:G4}, or use " +
                       (type == torch.ScalarType.Float64 ? "a smaller one" : "float32 or float64");
        }
        return null;
    }
}
