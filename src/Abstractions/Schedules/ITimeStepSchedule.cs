namespace Pipeline.Schedules;

/// <summary>Turns its step count (an option) into the times a solver visits.</summary>
public interface ITimeStepSchedule
{
    /// <summary>
    /// Strictly decreasing times, steps + 1 of them: the first is where sampling starts, the last
    /// where it ends (TMin, or 0 for "to sigma = 0").
    /// </summary>
    double[] Times(INoiseSchedule schedule);
}
