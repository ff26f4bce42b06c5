using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Search.Momentum;

/// <summary>
/// The Adaptive Momentum Sampler (Wang et al. 2023, "Boosting Diffusion Models with an Adaptive Momentum Sampler",
/// IJCAI 2024). DDIM and DDPM steps are Euler steps of x-bar = x / alpha (DDIM eq. (14): d x-bar = eps d(sigma / alpha),
/// plus noise for eta &gt; 0), so each step reads as a descent step x-bar_{i+1} = x-bar_i + d_i, and AMS replaces d_i by a
/// momentum of the updates, as SGD with momentum does:
///   m_i = w_h(b_i) m_{i-1} + w_d(b_i) d_i, m_0 = 0,   with (w_h, w_d) = (sin^2, cos^2)(b_i pi/2) or (sin, cos)(b_i pi/2),
/// the momentum b_i moving linearly over the steps between b_max and b_min. Its adaptive pace is RMSProp's second
/// moment, here one number per sample, v_i = c v_{i-1} + (1 - c) r_i^2 with r_i = rms(d_i) and v_1 = r_1^2, and the
/// step is x-bar_{i+1} = x-bar_i + m_i (r_i + epsilon) / (sqrt(v_i) + epsilon): updates longer than their recent average
/// are let through, a run whose update length never changes is not paced at all (c = 1 turns the pace off).
/// The new x is written as the plain result plus alpha_{i+1} (step - d_i), so that with b = 0 and no pace the correction
/// is exactly zero and the run equals the inner sampler's bit for bit.
/// </summary>
/// <remarks>
/// The inner solver runs one step at a time on the 2-time context (t_i, t_{i+1}), which equals its full run only when
/// it is <see cref="ISolver.OneStep"/>; stochastic inner solvers draw from the run's noise source in the same order,
/// so runs stay reproducible and independent of the batch size.
/// </remarks>
public sealed class AdaptiveMomentumSolver(ISolver inner, AdaptiveMomentumOptions options) : ISolver
{
    public ISolver Inner => inner;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        if (!inner.OneStep)
        {
            yield return "ams (adaptive momentum) replaces each step of a one-step sampler, whose step depends only on the current x and its two times; " +
                "this solver keeps a history or treats steps by their place in the run (multistep, adaptive or last-step rules), " +
                "so it cannot be run one step at a time; use 'ddim', 'ddpm' or 'pf-ode'";
            yield break;
        }
        foreach (var problem in inner.Check(schedule, times)) yield return problem;
    }

    public int Evaluations(IReadOnlyList<double> times) => inner.Evaluations(times);

    /// <summary>The momentum b of step i of n: linear in i from b_max to b_min (or back when ascending).</summary>
    double Momentum(int i, int n)
    {
        double f = n <= 1 ? 0 : (double)i / (n - 1);
        if (options.Ascending) f = 1 - f;
        return options.MomentumMax + (options.MomentumMin - options.MomentumMax) * f;
    }

    public Tensor Sample(SamplingContext context)
    {
        Tensor? m = null, v = null;
        bool paced = options.PaceDecay < 1;
        // The schedule's own alpha (not exp(log alpha) of the kit's time points), as the runs before the kit had it.
        var alphas = context.Times.Select(t => t == 0 ? 1.0 : context.Schedule.Alpha(t)).ToArray();
        // Explicit Scalars, disposed here: an implicit one is freed by the finalizer, possibly while native code reads it.
        using Scalar epsilon = options.Epsilon, decay = options.PaceDecay, fresh = 1 - options.PaceDecay;
        try
        {
            // The kit's loop owns x and the step's dispose scope; the momentum state m, v is detached from it and kept here.
            return StepLoop.Run(context, (x, s) =>
            {
                int i = s.Index;
                var step = new SamplingContext
                {
                    Model = context.Model, Times = [context.Times[i], context.Times[i + 1]], Initial = x,
                    Noise = context.Noise, Cancellation = context.Cancellation,
                };
                double angle = Momentum(i, context.Steps) * Math.PI / 2;
                var (history, update) = options.Weights == MomentumWeights.Convex
                    ? (Math.Pow(Math.Sin(angle), 2), Math.Pow(Math.Cos(angle), 2))
                    : (Math.Sin(angle), Math.Cos(angle));
                var plain = inner.Sample(step);
                using Scalar toBar = 1 / alphas[i + 1], fromBar = -1 / alphas[i], wHistory = history, wUpdate = update, alpha = alphas[i + 1];
                // d_i = x-bar_{i+1} - x-bar_i of the plain step.
                var d = plain.mul(toBar).add_(x, fromBar);
                var m1 = m is null ? d.mul(wUpdate) : m.mul(wHistory).add_(d, wUpdate);
                var stepBar = m1;
                Tensor? v1 = null;
                if (paced)
                {
                    var r2 = MeanSquarePerSample(d);
                    v1 = v is null ? r2 : v.mul(decay).add_(r2, fresh);
                    // (r_i + epsilon) / (sqrt(v_i) + epsilon): exactly 1 while the update length is steady.
                    var pace = r2.sqrt().Plus_(epsilon).div_(v1.sqrt().Plus_(epsilon));
                    stepBar = m1.mul(pace);
                }
                var next = plain.add(stepBar.sub(d), alpha);
                m?.Dispose();
                m = m1.DetachFromDisposeScope();
                if (v1 is not null)
                {
                    v?.Dispose();
                    v = v1.DetachFromDisposeScope();
                }
                return next;
            });
        }
        finally
        {
            m?.Dispose();
            v?.Dispose();
        }
    }

    /// <summary>Mean of d^2 over each sample's coordinates, shaped [B, 1, ...] to broadcast against d.</summary>
    static Tensor MeanSquarePerSample(Tensor d)
    {
        if (d.dim() < 2) return d.Squared();
        var dims = Enumerable.Range(1, (int)d.dim() - 1).Select(k => (long)k).ToArray();
        return d.Squared().mean(dims, keepdim: true);
    }
}
