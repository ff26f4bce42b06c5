using Pipeline.Options;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

/// <summary>Checks shared by every time-step schedule on the list it returns.</summary>
static class TimeList
{
    // Times computed through a round trip (t -> sigma -> t) may land a few ulps outside the schedule's range.
    const double Slack = 1e-12;

    /// <summary>
    /// Throws unless <paramref name="times"/> has at least two entries, strictly decreases, lies in [0, TMax] and
    /// evaluates the model (every entry but the last) no earlier than TMin. Entries within rounding of TMax or TMin
    /// are snapped onto them. <paramref name="hint"/> names the options that set the offending values.
    /// </summary>
    public static double[] Check(double[] times, INoiseSchedule schedule, string plugin, string hint)
    {
        if (times.Length < 2)
            throw new PipelineInputException($"{plugin}: needs at least 2 times (1 step), got {times.Length}; {hint}");
        for (int i = 0; i < times.Length; i++)
        {
            double t = times[i];
            if (!double.IsFinite(t))
                throw new PipelineInputException($"{plugin}: time {i} is {t}; {hint}");
            if (t > schedule.TMax && t <= schedule.TMax * (1 + Slack)) times[i] = t = schedule.TMax;
            if (i < times.Length - 1 && t < schedule.TMin && t >= schedule.TMin * (1 - Slack)) times[i] = t = schedule.TMin;
            if (t > schedule.TMax)
                throw new PipelineInputException(
                    $"{plugin}: time {i} = {t} is above the noise schedule's tMax = {schedule.TMax}; {hint}");
            if (t < 0)
                throw new PipelineInputException($"{plugin}: time {i} = {t} is negative; {hint}");
            if (i < times.Length - 1 && t < schedule.TMin)
                throw new PipelineInputException(
                    $"{plugin}: time {i} = {t} is below the noise schedule's tMin = {schedule.TMin}, where the model is not evaluated " +
                    $"(only the last time may be lower, down to 0); {hint}");
            if (i > 0 && !(t < times[i - 1]))
                throw new PipelineInputException(
                    $"{plugin}: times must strictly decrease, but time {i} = {t} follows {times[i - 1]}; {hint}");
        }
        return times;
    }
}
