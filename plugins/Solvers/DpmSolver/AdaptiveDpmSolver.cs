using Pipeline.Options;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>
/// DPM-Solver-12 and DPM-Solver-23 (DPM-Solver app. C; the authors' dpm_solver_adaptive): from the first given time to the
/// last, each attempt of size h in lambda computes a lower-order and a higher-order solution that share their model
/// evaluations (order 2: DPM-Solver-1 and -2 with r_1 = 1/2; order 3: DPM-Solver-2 with r_1 = 1/3 and DPM-Solver-3 with
/// r_1 = 1/3, r_2 = 2/3), so an attempt costs `order` NFE. With delta = max(atol, rtol max(|x_lower|, |x_prev|)) the error
/// E = max over the batch of the RMS of (x_higher - x_lower) / delta; the attempt is accepted when E &lt;= 1 (x takes the
/// higher-order value, x_prev the lower one), and h becomes min(theta h E^(-1/order), lambda_end - lambda_s). The loop ends
/// when the time is within tErr of the end. As in the authors' code the whole batch shares one step size, set by its
/// worst sample, and a rejected attempt re-evaluates the model at s (its NFE count equals theirs).
/// </summary>
internal static class AdaptiveDpmSolver
{
    /// <summary>Attempts after which the run is refused rather than looping on (each costs `order` NFE).</summary>
    const int MaxAttempts = 100_000;

    /// <summary>
    /// Advances <paramref name="run"/> from the first given time to the last; an accepted attempt is reported as the share
    /// of lambda done (step i of Steps ends in the share (i / Steps, (i + 1) / Steps]), a rejected one is not reported.
    /// </summary>
    public static void Run(SolverRun run, SamplingContext context, DpmPrediction prediction, DpmSolverOptions options)
    {
        var schedule = context.Schedule;
        int order = options.Order;
        var s = TimePoint.At(schedule, context.Times[0]);
        var end = TimePoint.At(schedule, context.Times[^1]);
        double lambdaStart = s.Lambda;
        double h = Math.Min(options.HInit, end.Lambda - s.Lambda);
        // The lower-order solution of the last accepted attempt (x at first), owned here: detached from its attempt's scope.
        var xPrev = run.X.alias();
        try
        {
            for (int attempt = 1; Math.Abs(s.T - end.T) > options.TErr && h > 0; attempt++)
            {
                if (attempt > MaxAttempts)
                    throw new PipelineInputException(
                        $"adaptive DPM-Solver made {MaxAttempts} attempts and reached only t = {s.T:G6} of {end.T:G6}; raise rtol/atol", "$.solver");
                var t = TimePoint.At(schedule, schedule.TimeOfLambda(s.Lambda + h));
                bool last = Math.Abs(t.T - end.T) <= options.TErr;
                int index = last ? context.Steps - 1
                    : (int)Math.Ceiling((t.Lambda - lambdaStart) / (end.Lambda - lambdaStart) * context.Steps) - 1;
                double error = double.NaN;
                bool accepted = run.TryAdvance(new SolverStep(index, s, t, last), (x, step) =>
                {
                    var (lower, higher) = Pair(context, x, step.From, step.To, prediction, order, options.SolverType);
                    error = ScaledError(lower, higher, xPrev, options.Rtol, options.Atol);
                    if (!double.IsFinite(error))
                        throw new PipelineInputException(
                            $"adaptive DPM-Solver's error estimate is not finite at t = {step.From.T:G6} -> {step.To.T:G6}; the model output is probably not finite", "$.solver");
                    if (error > 1) return null;
                    xPrev.Dispose();
                    xPrev = lower.DetachFromDisposeScope();
                    return higher;
                });
                if (accepted) s = t;
                // The authors round the factor E^(-1/order) to float32 (`.float()`); so do we, so that the step positions
                // and hence the NFE agree with theirs to the last bit rather than to 1e-8.
                h = Math.Min(options.Theta * h * (float)Math.Pow(error, -1.0 / order), end.Lambda - s.Lambda);
            }
        }
        finally
        {
            xPrev.Dispose();
        }
    }

    /// <summary>The lower- and higher-order solutions at t from (x, s), sharing their evaluations.</summary>
    static (Tensor Lower, Tensor Higher) Pair(SamplingContext context, Tensor x, TimePoint s, TimePoint t,
        DpmPrediction prediction, int order, DpmSolverType type)
    {
        var schedule = context.Schedule;
        var step = ExponentialStep.Between(prediction, s, t);
        TimePoint At(double r) => TimePoint.At(schedule, schedule.TimeOfLambda(s.Lambda + r * step.H));
        var ms = DpmModel.Output(context.Model, prediction, x, s.T);
        if (order == 2)
        {
            const double r1 = 0.5;
            var s1 = At(r1);
            var lower = DpmUpdates.FirstOrder(x, step, ms);
            var x1 = DpmUpdates.FirstOrder(x, ExponentialStep.Between(prediction, s, s1), ms);
            var m1 = DpmModel.Output(context.Model, prediction, x1, s1.T);
            return (lower, DpmUpdates.Singlestep2(x, step, r1, ms, m1, type));
        }
        else
        {
            const double r1 = 1.0 / 3, r2 = 2.0 / 3;
            var (s1, s2) = (At(r1), At(r2));
            var x1 = DpmUpdates.FirstOrder(x, ExponentialStep.Between(prediction, s, s1), ms);
            var m1 = DpmModel.Output(context.Model, prediction, x1, s1.T);
            var lower = DpmUpdates.Singlestep2(x, step, r1, ms, m1, type);
            var x2 = DpmUpdates.Singlestep3Inner(x, ExponentialStep.Between(prediction, s, s2), r1, r2, ms, m1);
            var m2 = DpmModel.Output(context.Model, prediction, x2, s2.T);
            return (lower, DpmUpdates.Singlestep3(x, step, r1, r2, ms, m1, m2, type));
        }
    }

    /// <summary>max over the batch of RMS((higher - lower) / delta): the one value read back per attempt, as step control needs.</summary>
    static double ScaledError(Tensor lower, Tensor higher, Tensor xPrev, double rtol, double atol)
    {
        using Scalar relative = rtol, absolute = atol;
        var delta = lower.abs().maximum(xPrev.abs()).mul_(relative).clamp_min_(absolute);
        var ratio = higher.sub(lower).div_(delta);
        using var worst = ratio.mul_(ratio).reshape(ratio.shape[0], -1).mean([1]).sqrt_().max();
        return worst.ToDouble();
    }
}
