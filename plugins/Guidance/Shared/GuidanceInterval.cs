using Pipeline.Schedules;

namespace Pipeline.Plugins.Guidance.Shared;

/// <summary>
/// Where along the run a guidance applies (Kynkaanniemi et al. 2024, "Applying guidance in a limited interval").
/// <c>start</c> is where it switches on and <c>end</c> where it switches off, in sampling order; both ends are
/// included. Fractions count progress p = 1 - t / TMax, so 0 &lt;= start &lt;= end &lt;= 1; times and noise levels
/// decrease while sampling, so there start &gt;= end &gt;= 0. An unset start means from the first step, an unset end
/// to the last.
/// </summary>
internal sealed class GuidanceInterval
{
    readonly IntervalUnit unit;
    readonly INoiseSchedule schedule;
    readonly double start, end;

    public GuidanceInterval(IntervalUnit unit, double? start, double? end, INoiseSchedule schedule)
    {
        this.unit = unit;
        this.schedule = schedule;
        bool progress = unit == IntervalUnit.Fraction;
        this.start = start ?? (progress ? 0.0 : double.PositiveInfinity);
        this.end = end ?? (progress ? 1.0 : 0.0);
        Always = progress ? this.start <= 0 && this.end >= 1 : double.IsPositiveInfinity(this.start) && this.end <= 0;
    }

    /// <summary>True when the interval covers every time (the default).</summary>
    public bool Always { get; }

    public bool Contains(double t)
    {
        if (Always) return true;
        switch (unit)
        {
            case IntervalUnit.Fraction:
                double p = 1 - t / schedule.TMax;
                return p >= start && p <= end;
            case IntervalUnit.Time:
                return t <= start && t >= end;
            default:
                double level = schedule.Sigma(t) / schedule.Alpha(t);
                return level <= start && level >= end;
        }
    }

    /// <summary>Problems with the bounds as options (member names for the host to point at).</summary>
    public static IEnumerable<(string Message, string Member)> Problems(IntervalUnit unit, double? start, double? end)
    {
        foreach (var (value, member) in new[] { (start, "Start"), (end, "End") })
            if (value is double v && (!double.IsFinite(v) || v < 0 || unit == IntervalUnit.Fraction && v > 1))
                yield return (unit == IntervalUnit.Fraction
                    ? $"'{Json(member)}' is a fraction of the run (intervalUnit 'fraction') and must lie in [0, 1], not {v}"
                    : $"'{Json(member)}' must be a finite value >= 0, not {v}", member);
        if (start is double s && end is double e)
        {
            if (unit == IntervalUnit.Fraction && s > e)
                yield return ($"the interval starts at progress {s} but ends at {e}; fractions count from 0 (first step) to 1 (clean data), so start <= end", "End");
            if (unit != IntervalUnit.Fraction && s < e)
                yield return ($"the interval starts at {s} but ends at {e}; {(unit == IntervalUnit.Time ? "times" : "noise levels")} decrease while sampling, so start >= end", "End");
        }
    }

    static string Json(string member) => Pipeline.Options.OptionsConventions.JsonName(member);
}
