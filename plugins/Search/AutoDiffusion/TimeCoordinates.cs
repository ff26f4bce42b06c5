using Pipeline.Schedules;

namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>
/// The search space: the first and last time are the pipeline's, and a candidate is the <c>steps - 1</c> interior
/// points, each a coordinate u in (0, 1) along lambda or t from the first time towards the last. Increasing u gives
/// decreasing t, so a sorted coordinate list is a valid schedule.
/// </summary>
public sealed class TimeCoordinates
{
    readonly INoiseSchedule schedule;
    readonly SearchSpace space;
    readonly double from, to;

    public TimeCoordinates(INoiseSchedule schedule, double start, double end, int steps, SearchSpace space)
    {
        this.schedule = schedule;
        this.space = space;
        Start = start;
        End = end;
        Steps = steps;
        // Interior points evaluate the model, so they stay at or above tMin even when the last time is 0.
        double inner = Math.Max(end, schedule.TMin);
        (from, to) = space == SearchSpace.LogSnr ? (schedule.Lambda(start), schedule.Lambda(inner)) : (start, inner);
    }

    public double Start { get; }
    public double End { get; }
    public int Steps { get; }

    /// <summary>Number of free points.</summary>
    public int Interior => Steps - 1;

    public double Time(double u)
    {
        double v = from + u * (to - from);
        return space == SearchSpace.LogSnr ? schedule.TimeOfLambda(v) : v;
    }

    public double Coordinate(double t) =>
        ((space == SearchSpace.LogSnr ? schedule.Lambda(t) : t) - from) / (to - from);

    /// <summary>The full schedule of sorted coordinates, or null when two points fall onto one time.</summary>
    public double[]? Times(IReadOnlyList<double> u)
    {
        var times = new double[Steps + 1];
        times[0] = Start;
        times[Steps] = End;
        for (int i = 0; i < u.Count; i++) times[i + 1] = Time(u[i]);
        for (int i = 1; i <= Steps; i++)
            if (!(times[i] < times[i - 1]) || !double.IsFinite(times[i])) return null;
        return times;
    }

    /// <summary>Coordinates of a schedule's interior points.</summary>
    public double[] Coordinates(IReadOnlyList<double> times) =>
        Enumerable.Range(1, Steps - 1).Select(i => Coordinate(times[i])).ToArray();

    /// <summary>
    /// The schedules every fast sampler compares against (DPM-Solver sec. 3.3 and its code's skip types):
    /// uniform in t, uniform in lambda (absent when the last time is 0, lambda = infinity there), uniform in sqrt(t).
    /// </summary>
    public IEnumerable<(string Name, double[] Times)> Standard()
    {
        double[] Grid(Func<double, double> forward, Func<double, double> back)
        {
            // NumPy's linspace, as the time-step plugins compute it, so the baselines are their schedules to the bit.
            double a = forward(Start), b = forward(End), step = (b - a) / Steps;
            var times = new double[Steps + 1];
            for (int i = 0; i <= Steps; i++) times[i] = back(i * step + a);
            (times[0], times[Steps]) = (Start, End);
            return times;
        }
        yield return ("time-uniform", Grid(t => t, v => v));
        if (End > 0) yield return ("logsnr-uniform", Grid(schedule.Lambda, schedule.TimeOfLambda));
        yield return ("time-quadratic", Grid(Math.Sqrt, r => r * r));
    }
}
