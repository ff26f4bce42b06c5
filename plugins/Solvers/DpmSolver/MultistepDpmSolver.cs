using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>
/// Multistep DPM-Solver / DPM-Solver++ (DPM-Solver++ Algorithm 2 and its third-order form; the authors' 'multistep'):
/// one evaluation at the start of each step, the update of order k uses the outputs at the last k times. The first
/// steps fall back to the order their history allows (1, then 2); with lowerOrderFinal and fewer than
/// lowerOrderFinalBelow steps the last step is first order and the one before at most second order. A step into t = 0
/// (data prediction only) is first order, whose limit h -&gt; infinity is the data prediction itself: a Taylor term of
/// order k &gt; 1 would divide by the vanishing r_0 = h_0 / h.
/// </summary>
internal static class MultistepDpmSolver
{
    /// <summary>The run on the kit's step loop, one update per interval, with the optional final denoising step.</summary>
    public static Tensor Sample(SamplingContext context, DpmPrediction prediction, DpmSolverOptions options)
    {
        int n = context.Steps;
        using var history = new MultistepHistory(options.Order);
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            int order = StepOrder(step.Index, n, options, step.IntoClean);
            history.Push(s, DpmModel.Output(context.Model, prediction, x, s.T));
            var exponential = ExponentialStep.Between(prediction, s, t);
            var (m0, m1, m2) = (history[0], order > 1 ? history[1] : null, order > 2 ? history[2] : null);
            return order switch
            {
                1 => DpmUpdates.FirstOrder(x, exponential, m0),
                2 => DpmUpdates.Multistep2(x, exponential, s.Lambda - history.Time(1).Lambda, m0, m1!, options.SolverType),
                _ => DpmUpdates.Multistep3(x, exponential, s.Lambda - history.Time(1).Lambda,
                    history.Time(1).Lambda - history.Time(2).Lambda, m0, m1!, m2!, options.Multistep3),
            };
        }, denoiseAtEnd: options.DenoiseToZero);
    }

    /// <summary>The order of step i (0-based) of n: the authors' warm-up and lower_order_final rule.</summary>
    public static int StepOrder(int i, int n, DpmSolverOptions options, bool intoClean)
    {
        if (intoClean) return 1;
        int order = Math.Min(options.Order, i + 1);
        if (options.LowerOrderFinal && n < options.LowerOrderFinalBelow) order = Math.Min(order, n - i);
        return order;
    }
}
