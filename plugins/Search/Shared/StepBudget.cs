using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins.Search.AutoDiffusion;
using Pipeline.Solvers;

namespace Pipeline.Plugins.Search.Shared;

/// <summary>
/// The step count a time-step optimizer works with: the largest whose model evaluations with the solver fit the NFE
/// budget and that the solver accepts (a Heun step costs 2, so NFE 6 is 3 steps), between the pipeline's first and last time.
/// </summary>
public static class StepBudget
{
    public static TimeCoordinates Fit(IOptimizationTarget target, ISolver solver, int budget, SearchSpace space, string optimizer)
    {
        var times = target.Times;
        string? problem = null;
        for (int steps = budget; steps >= 1; steps--)
        {
            var coordinates = new TimeCoordinates(target.Schedule, times[0], times[^1], steps, space);
            var uniform = coordinates.Standard().First().Times;
            if (solver.Evaluations(uniform) > budget) continue;
            var problems = solver.Check(target.Schedule, uniform).ToList();
            if (problems.Count == 0) return coordinates;
            problem ??= $" ({steps} steps: {problems[0]})";
        }
        string which = ReferenceEquals(solver, target.Solver) ? "the pipeline's solver" : $"the solver {solver.GetType().Name}";
        throw new PipelineInputException(
            $"{optimizer}: no step count fits 'nfe' = {budget} model evaluations with {which}{problem}; raise 'nfe' or use another solver");
    }
}
