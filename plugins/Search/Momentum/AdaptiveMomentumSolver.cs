using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Search.Momentum;

/// <summary>
/// The Adaptive Momentum Sampler (Wang et al. 2023, "Boosting Diffusion Models with an Adaptive Momentum Sampler"):
/// each step of a first-order sampler, x_{i+1} = x_i + d_i, is read as a descent step with update d_i and replaced by
/// Adam's (Kingma and Ba 2015, Algorithm 1) with bias-corrected moments
///   m_i = beta1 m_{i-1} + (1 - beta1) d_i,          m-hat_i = m_i / (1 - beta1^i),
///   v_i = beta2 v_{i-1} + (1 - beta2) r_i^2,        v-hat_i = v_i / (1 - beta2^i),   r_i = rms(d_i) per sample,
///   x_{i+1} = x_i + m-hat_i (r_i + epsilon) / (sqrt(v-hat_i) + epsilon).
/// The learning rate is the plain step's own length r_i: the sampler's steps differ in size by orders of magnitude,
/// so a fixed rate would break the schedule, while with it a run whose direction and length never change gives
/// exactly the plain steps. The second moment is one number per sample (the mean square over its coordinates),
/// not per coordinate: a per-coordinate rescaling would change the image, not the step length.
/// The new x is written as the plain result plus (update - d_i), so that with beta1 = beta2 = 0 the correction is
/// exactly zero and the run equals the inner sampler's bit for bit.
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

    public Tensor Sample(SamplingContext context)
    {
        var x = context.Initial.alias();
        Tensor? m = null, v = null;
        double beta1Power = 1, beta2Power = 1;
        // Explicit Scalars, disposed here: an implicit one is freed by the finalizer, possibly while native code reads it.
        using Scalar epsilon = options.Epsilon, weight1 = 1 - options.Beta1, weight2 = 1 - options.Beta2;
        try
        {
            for (int i = 0; i < context.Steps; i++)
            {
                var step = new SamplingContext
                {
                    Model = context.Model, Times = [context.Times[i], context.Times[i + 1]], Initial = x,
                    Noise = context.Noise, Cancellation = context.Cancellation,
                };
                beta1Power *= options.Beta1;
                beta2Power *= options.Beta2;
                Tensor next;
                using (var scope = NewDisposeScope())
                {
                    var plain = inner.Sample(step);
                    var d = plain.sub(x);
                    var r2 = MeanSquarePerSample(d);
                    // Adam's moments from zero; lerp(a, b, w) = (1 - w) a + w b.
                    var m1 = m is null ? d.mul(weight1) : m.lerp(d, weight1);
                    var v1 = v is null ? r2.mul(weight2) : v.lerp(r2, weight2);
                    if (i < options.WarmupSteps) next = plain;
                    else
                    {
                        using Scalar correction1 = 1 - beta1Power, correction2 = 1 - beta2Power;
                        var mHat = m1.div(correction1);
                        var vHat = v1.div(correction2);
                        // The step-length ratio (r_i + epsilon) / (sqrt(v-hat_i) + epsilon) is exactly 1 when beta2 = 0.
                        var ratio = r2.sqrt().add_(epsilon).div_(vHat.sqrt().add_(epsilon));
                        next = plain.add(mHat.mul_(ratio).sub_(d));
                    }
                    m?.Dispose();
                    v?.Dispose();
                    m = scope.MoveToOuter(m1);
                    v = scope.MoveToOuter(v1);
                    scope.MoveToOuter(next);
                }
                x.Dispose();
                x = next;
                context.Completed(i, x);
            }
            return x;
        }
        catch
        {
            x.Dispose();
            throw;
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
        if (d.dim() < 2) return d.square();
        var dims = Enumerable.Range(1, (int)d.dim() - 1).Select(k => (long)k).ToArray();
        return d.square().mean(dims, keepdim: true);
    }
}
