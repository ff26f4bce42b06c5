namespace Pipeline.Host.Diffusers;

/// <summary>
/// The orders of the outer steps of a singlestep DPM-Solver run: diffusers' DPMSolverSinglestepScheduler and the
/// DPM-Solver authors' allocation (the dpm-solver plugins). The import refuses a config where they differ.
/// </summary>
public static class DpmSinglestepPlans
{
    /// <summary>
    /// diffusers: get_order_list gives one order per step ([1, 2, 3] per third-order outer step; with
    /// lower_order_final the tail is [1, 2] + [1], [1] or [1, 2] for order 3 and [1, 1] (even steps) or [1] for
    /// order 2), and final_sigmas_type "zero" sets the last entry to 1. An outer step starts at every 1 and has the
    /// order of its last entry.
    /// </summary>
    public static int[] Diffusers(int steps, int order, bool finalZero)
    {
        var perStep = new List<int>();
        if (order == 3)
        {
            int blocks = Math.Max(0, steps % 3 == 0 ? steps / 3 - 1 : steps / 3);
            for (int i = 0; i < blocks; i++) perStep.AddRange([1, 2, 3]);
            perStep.AddRange((steps % 3) switch { 0 => [1, 2, 1], 1 => [1], _ => [1, 2] });
        }
        else if (order == 2)
        {
            int blocks = Math.Max(0, steps % 2 == 0 ? steps / 2 - 1 : steps / 2);
            for (int i = 0; i < blocks; i++) perStep.AddRange([1, 2]);
            perStep.AddRange(steps % 2 == 0 ? [1, 1] : [1]);
        }
        else perStep.AddRange(Enumerable.Repeat(1, steps));
        if (finalZero) perStep[^1] = 1;
        var plan = new List<int>();
        foreach (int o in perStep)
            if (o == 1) plan.Add(1); else plan[^1] = o;
        return plan.ToArray();
    }

    /// <summary>
    /// The authors' allocation (docs/solvers.md): order 3 gives [3, ..., 3, 2, 1], [3, ..., 3, 1] or [3, ..., 3, 2]
    /// for steps mod 3 = 0, 1, 2; order 2 gives [2, ..., 2] and a final 1 for odd steps. Into t = 0 the other
    /// steps - 1 evaluations follow that rule and the last is the data prediction (a first-order step).
    /// </summary>
    public static int[] Ours(int steps, int order, bool finalZero)
    {
        int n = finalZero ? steps - 1 : steps;
        var plan = new List<int>();
        if (order == 3)
        {
            int threes = Math.Max(0, n % 3 == 0 ? n / 3 - 1 : n / 3);
            plan.AddRange(Enumerable.Repeat(3, threes));
            plan.AddRange((n % 3) switch { 0 => [2, 1], 1 => [1], _ => [2] });
        }
        else if (order == 2)
        {
            plan.AddRange(Enumerable.Repeat(2, n / 2));
            if (n % 2 == 1) plan.Add(1);
        }
        else plan.AddRange(Enumerable.Repeat(1, n));
        if (finalZero) plan.Add(1);
        return plan.ToArray();
    }
}
