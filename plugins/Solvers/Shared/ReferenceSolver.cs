using Pipeline.Plugins.Solvers.Dpm;
using Pipeline.SolverKit;
using Pipeline.Solvers;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>An accurate multistep solver for reference trajectories (AMED's teacher, the reference-ode-error metric).</summary>
public enum ReferenceSolver
{
    /// <summary>UniPC-3 (bh2, data prediction, corrector), one evaluation per step, full order to the end.</summary>
    Unipc,

    /// <summary>DPM-Solver++(3M) with the full third-order Taylor term, one evaluation per step.</summary>
    DpmSolverPp,
}

internal static class ReferenceSolvers
{
    public static ISolver Create(ReferenceSolver solver) => solver switch
    {
        ReferenceSolver.Unipc => new UniPc(new UniPcOptions { Order = 3, LowerOrderFinal = false }),
        ReferenceSolver.DpmSolverPp => new DpmSolverPlusPlus(new DpmSolverOptions
        {
            Order = 3, Method = DpmSolverMethod.Multistep, Multistep3 = Multistep3Variant.Taylor,
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(solver)),
    };

    /// <summary>Times from <paramref name="start"/> to <paramref name="end"/> uniform in lambda, <paramref name="steps"/> steps.</summary>
    public static double[] LogSnrGrid(Schedules.INoiseSchedule schedule, double start, double end, int steps)
    {
        double l0 = schedule.Lambda(start), l1 = schedule.Lambda(end);
        return Enumerable.Range(0, steps + 1)
            .Select(i => i == 0 ? start : i == steps ? end : schedule.TimeOfLambda(l0 + (l1 - l0) * i / steps)).ToArray();
    }
}
