using Pipeline.Schedules;
using Pipeline.Solvers;

namespace Pipeline.SolverKit;

/// <summary>What every solver asks of its times: enough steps, strictly decreasing, and the model evaluated only inside [TMin, TMax].</summary>
public static class TimesCheck
{
    /// <summary>Relative slack for times that sit on TMin or TMax up to rounding.</summary>
    const double Slack = 1e-9;

    /// <summary>
    /// What is wrong with <paramref name="times"/> for a solver, each problem a sentence that names the fix; empty when
    /// they are fine. Return it from <see cref="ISolver.Check"/> (adding the method's own checks).
    /// </summary>
    /// <param name="solver">Canonical name, for the messages.</param>
    /// <param name="schedule">The run's noise schedule (its TMin and TMax).</param>
    /// <param name="times">The run's times, from the noisiest to the last.</param>
    /// <param name="minSteps">The fewest steps the method can take.</param>
    /// <param name="evaluatesLast">True when the model is evaluated at the final time too (Heun) unless it is 0.</param>
    public static IEnumerable<string> Problems(string solver, INoiseSchedule schedule, IReadOnlyList<double> times,
        int minSteps = 1, bool evaluatesLast = false)
    {
        int steps = times.Count - 1;
        if (steps < minSteps)
        {
            yield return $"{solver} needs at least {minSteps} step{(minSteps == 1 ? "" : "s")} but the time-step schedule gave {Math.Max(steps, 0)}; ask it for more steps";
            yield break;
        }
        for (int i = 0; i < steps; i++)
            if (!(times[i + 1] < times[i]))
            {
                yield return $"{solver} needs strictly decreasing times but time {i + 1} ({times[i + 1]}) is not below time {i} ({times[i]}); fix the time-step schedule";
                yield break;
            }
        double lo = schedule.TMin * (1 - Slack), hi = schedule.TMax * (1 + Slack);
        if (times[0] > hi)
            yield return $"{solver} starts at t = {times[0]}, beyond the noise schedule's TMax = {schedule.TMax}; end the time-step schedule there";
        if (times[^1] < 0)
            yield return $"{solver} ends at t = {times[^1]} < 0; times are in [0, {schedule.TMax}]";
        // The model is evaluated at every time but the last, which may be 0 (clean data) or an evaluable time.
        int evaluated = evaluatesLast && times[^1] > 0 ? times.Count : steps;
        for (int i = 0; i < evaluated; i++)
            if (times[i] < lo)
            {
                yield return i == steps
                    ? $"{solver} evaluates the model at its final time t = {times[i]}, below the noise schedule's TMin = {schedule.TMin}; end the times at TMin or at 0"
                    : $"{solver} would evaluate the model at t = {times[i]} (time {i}), below the noise schedule's TMin = {schedule.TMin}; only the final time may lie below TMin, and then it must be 0";
                yield break;
            }
    }
}
