using Pipeline.Options;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>
/// What <c>dpm-solver</c> and <c>dpm-solver++</c> share: checks, NFE, and the run — the chosen method over the given
/// times, a step into t = 0 when the times end there (data prediction only), and the optional final denoising step.
/// </summary>
internal sealed class DpmSolverEngine(DpmSolverOptions options, DpmPrediction prediction, string name)
{
    bool Singlestep => options.Method is DpmSolverMethod.Singlestep or DpmSolverMethod.SinglestepFixed;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        // The final denoising step evaluates the model at the last time.
        var problems = TimesCheck.Problems(name, schedule, times, evaluatesLast: options.DenoiseToZero).ToList();
        if (problems.Count > 0) return problems;
        int steps = times.Count - 1;
        bool toZero = times[^1] == 0;
        if (toZero && prediction == DpmPrediction.Noise)
            problems.Add($"{name} (noise prediction) cannot step to t = 0: lambda is infinite there and its higher-order " +
                $"terms grow like e^h; end the times at TMin ({schedule.TMin}) and set denoiseToZero: true, or use dpm-solver++");
        if (toZero && options.DenoiseToZero)
            problems.Add($"{name}: the times already end at t = 0, so denoiseToZero would step there twice; " +
                "set denoiseToZero: false, or end the times at TMin");
        if (toZero && options.Method == DpmSolverMethod.Adaptive)
            problems.Add($"{name} with method 'adaptive' controls its steps in lambda and needs a positive last time; " +
                $"end the times at TMin ({schedule.TMin}) and set denoiseToZero: true for the step to t = 0");
        if (options.Method == DpmSolverMethod.SinglestepFixed)
        {
            // With t = 0 last, the step into it is one first-order evaluation and the rest is singlestep.
            int budget = toZero ? steps - 1 : steps;
            if (budget % options.Order != 0)
                problems.Add($"{name} with method 'singlestep-fixed' and order {options.Order} spends {options.Order} evaluations per step, " +
                    $"but the time-step schedule gave {budget} steps{(toZero ? " before the step to t = 0" : "")}; ask for a multiple of " +
                    $"{options.Order} (e.g. {Math.Max(options.Order, budget - budget % options.Order)}), or use method 'singlestep', which spends any number");
        }
        return problems;
    }

    /// <summary>
    /// NFE = the number of given steps (+1 with denoiseToZero), for every method: multistep evaluates once per step,
    /// the singlestep plans spend exactly that many. For 'adaptive' the count is not known before the run and this is
    /// an estimate only (set the time-step schedule's steps to the NFE you expect); the host counts the real NFE.
    /// </summary>
    public int Evaluations(IReadOnlyList<double> times) => Math.Max(times.Count - 1, 0) + (options.DenoiseToZero ? 1 : 0);

    public Tensor Sample(SamplingContext context)
    {
        if (Check(context.Schedule, context.Times).FirstOrDefault() is { } problem)
            throw new PipelineInputException(problem, "$.solver");
        // One update per interval: the kit's step loop. Otherwise the kit's run, which owns x, the update scopes and
        // the reports of updates that span several intervals or are rejected; the final denoising step is its Finish.
        if (options.Method == DpmSolverMethod.Multistep) return MultistepDpmSolver.Sample(context, prediction, options);
        using var run = new SolverRun(context, denoiseAtEnd: options.DenoiseToZero);
        if (options.Method == DpmSolverMethod.Adaptive) AdaptiveDpmSolver.Run(run, context, prediction, options);
        else RunSinglestep(run, context, TimePoint.Along(context.Schedule, context.Times));
        return run.Finish();
    }

    /// <summary>
    /// Singlestep over the given times; when they end at t = 0 the plan covers them up to the last positive time and
    /// the final interval is the first-order step into t = 0 (the data prediction there, DPM-Solver++ only).
    /// </summary>
    void RunSinglestep(SolverRun run, SamplingContext context, TimePoint[] points)
    {
        bool toZero = points[^1].T == 0;
        var solved = toZero ? points[..^1] : points;
        int nfe = solved.Length - 1;
        var orders = options.Method == DpmSolverMethod.Singlestep
            ? SinglestepPlan.FastOrders(nfe, options.Order)
            : SinglestepPlan.FixedOrders(nfe, options.Order);
        var plan = options.SinglestepGrid == SinglestepGrid.Given
            ? SinglestepPlan.OnGivenTimes(solved, orders)
            : SinglestepPlan.UniformInLogSnr(context.Schedule, solved[0], solved[^1], orders);
        SinglestepDpmSolver.Run(run, context, plan, prediction, options.SolverType, endsRun: !toZero);
        // x_0 = the data prediction at (x, s): one evaluation, the exact first-order step from lambda_s to infinity.
        if (toZero)
            run.Advance(new SolverStep(points.Length - 2, solved[^1], points[^1], IsLast: true),
                (x, step) => context.Model.Data(x, step.From.T));
    }
}
