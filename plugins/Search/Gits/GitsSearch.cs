using System.Diagnostics;
using System.Text.Json.Nodes;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins.Search.AutoDiffusion;
using Pipeline.Plugins.Search.Shared;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Plugins.Search.Gits;

[Plugin(PluginKinds.OfflineOptimizer, "gits", Aliases = "geometry-inspired-time-scheduling",
    Summary = "GITS (Chen et al. 2024): time steps by dynamic programming over one-step errors against a teacher trajectory on a fine grid; writes times.json")]
public sealed class GitsExport : PluginExport<GitsSearch, GitsOptions>;

/// <summary>
/// Geometry-inspired time scheduling (Chen, Zhou, Ye, et al. 2024, "On the Trajectory Regularity of ODE-based Diffusion
/// Sampling", ICML, sec. 4): sampling trajectories of one model are regular (nearly the same shape for every x_T), so a
/// schedule priced on a small batch serves all samples. A teacher solves the probability flow on a fine grid
/// t_0 &gt; ... &gt; t_M from the batch's x_T; the cost of jumping from grid point i to j is the distance between one
/// step of the student solver from the teacher's x_i and the teacher's x_j (the local error of that jump, mean over the
/// batch of ||.||_2 / sqrt(d)); dynamic programming finds the path from t_0 to t_M with exactly the NFE's step count
/// whose summed cost is least (<see cref="CheapestPath"/>). No network and no training: M(M+1)/2 solver steps on the batch.
/// </summary>
public sealed class GitsSearch : IOfflineOptimizer
{
    const string Name = "optimizer 'gits'";
    static readonly JsonObject DefaultTeacher = new() { ["type"] = "unipc", ["order"] = 3 };

    readonly GitsOptions options;

    public GitsSearch(GitsOptions options)
    {
        OptionsCheck.ThrowIfInvalid(options, Name);
        this.options = options;
    }

    ISolver Student(IOptimizationTarget target) =>
        options.Solver is { } d ? target.CreateSolver(d, "$.optimizer.solver") : target.Solver;

    ISolver Teacher(IOptimizationTarget target) =>
        target.CreateSolver(options.Teacher ?? DefaultTeacher, "$.optimizer.teacher");

    int Budget(IOptimizationTarget target) => options.Nfe ?? target.Solver.Evaluations(target.Times);

    public IEnumerable<string> Check(IOptimizationTarget target)
    {
        var problems = new List<string>();
        try
        {
            var student = Student(target);
            if (!student.OneStep)
                problems.Add($"{Name}: the solver {student.GetType().Name} is not a one-step solver: its step depends on earlier steps, so a jump " +
                    "i -> j has no cost of its own and the dynamic programme does not apply; price the schedule with 'ddim' or 'pf-ode' ('solver')");
            var steps = StepBudget.Fit(target, student, Budget(target), options.Grid, Name).Steps;
            if (steps > options.TeacherSteps)
                problems.Add($"{Name}: {steps} steps need a fine grid of at least as many intervals; raise 'teacherSteps' ({options.TeacherSteps})");
            problems.AddRange(Teacher(target).Check(target.Schedule, Grid(target)).Select(p => $"{Name}: the teacher cannot run on the fine grid: {p}"));
        }
        catch (PipelineInputException e)
        {
            problems.Add(e.Message);
        }
        return problems;
    }

    /// <summary>The fine grid: the pipeline's first and last time and teacherSteps - 1 points uniform in lambda or t between them.</summary>
    double[] Grid(IOptimizationTarget target)
    {
        var space = new TimeCoordinates(target.Schedule, target.Times[0], target.Times[^1], options.TeacherSteps, options.Grid);
        var grid = new double[options.TeacherSteps + 1];
        for (int k = 0; k <= options.TeacherSteps; k++) grid[k] = space.Time((double)k / options.TeacherSteps);
        (grid[0], grid[^1]) = (space.Start, space.End);
        return grid;
    }

    public IReadOnlyDictionary<string, object?> Optimize(OptimizationContext context)
    {
        var target = context.Target;
        var clock = Stopwatch.StartNew();
        var student = Student(target);
        var teacher = Teacher(target);
        int steps = StepBudget.Fit(target, student, Budget(target), options.Grid, Name).Steps;
        var grid = Grid(target);
        int m = grid.Length - 1, batch = Math.Min(options.Batch, target.Count);

        var cost = new double[m + 1, m + 1];
        double teacherSeconds;
        using (var initial = target.InitialNoise(0, batch))
        using (var labels = target.Labels(0, batch))
        {
            var model = target.Denoiser(labels);
            using var release = model as IDisposable;
            // Noise sources for stochastic solvers (the default ones draw nothing): one for the teacher, one for all jumps.
            var teacherNoise = target.Noise(0, batch);
            using var releaseTeacherNoise = teacherNoise as IDisposable;
            var jumpNoise = target.Noise(0, batch);
            using var releaseJumpNoise = jumpNoise as IDisposable;
            var states = TeacherTrajectory.Run(teacher, model, teacherNoise, grid, initial, context.Cancellation);
            teacherSeconds = clock.Elapsed.TotalSeconds;
            try
            {
                double scale = 1.0 / Math.Sqrt(states[0].numel() / batch);
                var jumps = new StartEvaluation(model);
                for (int i = 0; i < m; i++)
                {
                    context.Report(i, m, $"pricing the jumps from grid point {i} of {m}");
                    using var row = torch.NewDisposeScope();
                    jumps.Start(states[i], grid[i]);
                    for (int j = i + 1; j <= m; j++)
                    {
                        using var scope = torch.NewDisposeScope();
                        var step = student.Sample(new SamplingContext
                        {
                            Model = jumps, Times = [grid[i], grid[j]], Initial = states[i], Noise = jumpNoise,
                            Cancellation = context.Cancellation,
                        });
                        // Chen et al.'s cost: the L2 distance of the one-step result to the teacher, here averaged over the batch.
                        double c = step.sub(states[j]).reshape(batch, -1).Squared().sum(1).sqrt().mean().item<double>() * scale;
                        cost[i, j] = double.IsFinite(c) ? c : double.PositiveInfinity;
                    }
                }
            }
            finally
            {
                foreach (var s in states) s.Dispose();
            }
        }
        var (path, pathCost) = CheapestPath.Find(cost, steps);
        var times = path.Select(k => grid[k]).ToArray();
        double searchSeconds = clock.Elapsed.TotalSeconds;
        SearchOutputs.WriteTimes(context.OutputDirectory, times, options.Solver);

        var summary = new Dictionary<string, object?>
        {
            ["file"] = SearchOutputs.TimesFile,
            ["steps"] = steps,
            ["nfe"] = student.Evaluations(times),
            ["times"] = times,
            ["gridIndices"] = path,
            ["pathCost"] = pathCost,
            ["teacherSteps"] = m,
            ["batch"] = batch,
            ["jumpsPriced"] = m * (m + 1) / 2,
            ["teacherSeconds"] = teacherSeconds,
            ["searchSeconds"] = searchSeconds,
        };
        if (options.Score)
        {
            var chosen = options.Solver is null ? null : student;
            summary["fitness"] = target.Score(times, chosen, context.Cancellation).Value;
            var space = new TimeCoordinates(target.Schedule, times[0], times[^1], steps, options.Grid);
            summary["baselines"] = space.Standard().ToDictionary(s => s.Name, s => (object?)target.Score(s.Times, chosen, context.Cancellation).Value);
        }
        summary["seconds"] = clock.Elapsed.TotalSeconds;
        return summary;
    }
}
