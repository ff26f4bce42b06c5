using Pipeline.Schedules;
using Pipeline.SolverKit;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>One singlestep step: from <see cref="From"/> to <see cref="To"/>, evaluating at <see cref="Inner"/> too (order - 1 times).</summary>
internal sealed record OuterStep(TimePoint From, TimePoint[] Inner, TimePoint To, int LastInterval)
{
    public int Order => Inner.Length + 1;
}

/// <summary>Orders and times of a singlestep run.</summary>
internal static class SinglestepPlan
{
    /// <summary>
    /// DPM-Solver-fast (the authors' get_orders_and_timesteps_for_singlestep_solver): orders that spend exactly
    /// <paramref name="nfe"/> evaluations. Order 3: K = nfe / 3 + 1 steps, [3, ..., 3, 2, 1] (nfe % 3 = 0),
    /// [3, ..., 3, 1] (nfe % 3 = 1) or [3, ..., 3, 2] (nfe % 3 = 2). Order 2: [2, ..., 2] and a final 1 for odd nfe.
    /// </summary>
    public static int[] FastOrders(int nfe, int order)
    {
        if (nfe <= 0) return [];
        int threes = nfe / 3;
        return order switch
        {
            1 => Enumerable.Repeat(1, nfe).ToArray(),
            2 => nfe % 2 == 0 ? Enumerable.Repeat(2, nfe / 2).ToArray() : [.. Enumerable.Repeat(2, nfe / 2), 1],
            _ => (nfe % 3) switch
            {
                0 => [.. Enumerable.Repeat(3, threes - 1), 2, 1],
                1 => [.. Enumerable.Repeat(3, threes), 1],
                _ => [.. Enumerable.Repeat(3, threes), 2],
            },
        };
    }

    /// <summary>Singlestep DPM-Solver-k throughout: nfe / k steps (the caller checks that k divides nfe).</summary>
    public static int[] FixedOrders(int nfe, int order) => Enumerable.Repeat(order, Math.Max(nfe, 0) / order).ToArray();

    /// <summary>
    /// The given times as the evaluation grid: step j covers the next orders[j] intervals and evaluates at the times
    /// inside them. For grids uniform in t or in sqrt(t) these are exactly the authors' outer and inner times.
    /// </summary>
    public static OuterStep[] OnGivenTimes(IReadOnlyList<TimePoint> points, int[] orders)
    {
        var steps = new OuterStep[orders.Length];
        int at = 0;
        for (int j = 0; j < orders.Length; j++)
        {
            int k = orders[j];
            steps[j] = new OuterStep(points[at], Enumerable.Range(at + 1, k - 1).Select(i => points[i]).ToArray(), points[at + k], at + k - 1);
            at += k;
        }
        return steps;
    }

    /// <summary>
    /// The authors' singlestep rule for skip type 'logSNR': K = orders.Length outer steps uniform in lambda from
    /// <paramref name="first"/> to <paramref name="last"/>, each split uniformly in lambda (r_1 = 1/2; r_1 = 1/3, r_2 = 2/3).
    /// </summary>
    public static OuterStep[] UniformInLogSnr(INoiseSchedule schedule, TimePoint first, TimePoint last, int[] orders)
    {
        int count = orders.Length;
        TimePoint At(double lambda) => TimePoint.At(schedule, schedule.TimeOfLambda(lambda));
        var outer = new TimePoint[count + 1];
        for (int j = 0; j <= count; j++)
            outer[j] = j == 0 ? first : j == count ? last : At(first.Lambda + (last.Lambda - first.Lambda) * j / count);
        var steps = new OuterStep[count];
        int spent = 0;
        for (int j = 0; j < count; j++)
        {
            int k = orders[j];
            double l0 = outer[j].Lambda, h = outer[j + 1].Lambda - l0;
            spent += k;
            steps[j] = new OuterStep(outer[j], Enumerable.Range(1, k - 1).Select(i => At(l0 + h * i / k)).ToArray(), outer[j + 1], spent - 1);
        }
        return steps;
    }
}
