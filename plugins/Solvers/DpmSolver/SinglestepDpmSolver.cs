using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>
/// Singlestep DPM-Solver-1, -2, -3 (DPM-Solver Algorithms 1 and 2; DPM-Solver++(2S) Algorithm 1 and its third-order form):
/// an order-k step evaluates the model at its start and at k - 1 intermediate times, then discards them.
/// </summary>
internal static class SinglestepDpmSolver
{
    /// <summary>Advances <paramref name="run"/> over <paramref name="plan"/>; each update is reported as the last interval it covers.</summary>
    public static void Run(SolverRun run, SamplingContext context, IReadOnlyList<OuterStep> plan, DpmPrediction prediction,
        DpmSolverType type, bool endsRun)
    {
        for (int j = 0; j < plan.Count; j++)
        {
            var outer = plan[j];
            run.Advance(new SolverStep(outer.LastInterval, outer.From, outer.To, IsLast: endsRun && j == plan.Count - 1),
                (x, _) => Step(context, x, outer, prediction, type));
        }
    }

    static Tensor Step(SamplingContext context, Tensor x, OuterStep outer, DpmPrediction prediction, DpmSolverType type)
    {
        var (s, t) = (outer.From, outer.To);
        var step = ExponentialStep.Between(prediction, s, t);
        var ms = DpmModel.Output(context.Model, prediction, x, s.T);
        if (outer.Order == 1) return DpmUpdates.FirstOrder(x, step, ms);

        // First intermediate state by DPM-Solver-1 from s to s_1 = t_lambda(lambda_s + r_1 h).
        var s1 = outer.Inner[0];
        double r1 = (s1.Lambda - s.Lambda) / step.H;
        var x1 = DpmUpdates.FirstOrder(x, ExponentialStep.Between(prediction, s, s1), ms);
        var m1 = DpmModel.Output(context.Model, prediction, x1, s1.T);
        if (outer.Order == 2) return DpmUpdates.Singlestep2(x, step, r1, ms, m1, type);

        var s2 = outer.Inner[1];
        double r2 = (s2.Lambda - s.Lambda) / step.H;
        var x2 = DpmUpdates.Singlestep3Inner(x, ExponentialStep.Between(prediction, s, s2), r1, r2, ms, m1);
        var m2 = DpmModel.Output(context.Model, prediction, x2, s2.T);
        return DpmUpdates.Singlestep3(x, step, r1, r2, ms, m1, m2, type);
    }
}
