using Pipeline.Options;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Pndm;

[Plugin(PluginKinds.Solver, "plms", Aliases = "pndm-plms,pndm-skip-prk",
    Summary = "PLMS (Liu et al. 2022) as in Stable Diffusion: pseudo improved Euler start, then multistep of order 2, 3, 4")]
public sealed class PlmsExport : PluginExport<Plms, NoOptions>;

/// <summary>
/// Pseudo linear multistep without the Runge-Kutta warm-up: diffusers' PNDMScheduler with skip_prk_steps = true and
/// the PLMS sampler of latent diffusion / Stable Diffusion. The first step is a pseudo improved Euler step (Liu et
/// al. 2022, sec. 3): phi with the mean of eps at its start and at the end of a first phi step; that end-point eps is
/// discarded. Then the pseudo linear multistep (eq. (12)) of order 2, 3 and from the fourth step on 4, with the eps of
/// each step's start. A first step into t = 0 is a plain DDIM step. NFE: steps + 1 (steps when the first step ends at 0).
/// </summary>
public sealed class Plms : ISolver
{
    /// <summary>The host builds every plugin with its options object; plms has none.</summary>
    public Plms(NoOptions? options = null) { }

    static bool ImprovedEulerStart(IReadOnlyList<double> times) => times.Count >= 2 && times[1] > 0;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        // The first step evaluates its end, which is the final time when there is one step.
        TimesCheck.Problems("plms", schedule, times, evaluatesLast: times.Count == 2);

    public int Evaluations(IReadOnlyList<double> times) =>
        Math.Max(times.Count - 1, 0) + (ImprovedEulerStart(times) ? 1 : 0);

    public Tensor Sample(SamplingContext context)
    {
        using var history = new MultistepHistory(PseudoLinearMultistep.MaxOrder);
        var model = context.Model;
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            var e = model.Epsilon(x, s.T);
            history.Push(s, e);
            if (step.Index > 0 || step.IntoClean)
                return PseudoLinearMultistep.Step(x, s, t, history, Math.Min(history.Count, PseudoLinearMultistep.MaxOrder));

            // Pseudo improved Euler: e' = (e(x_s, s) + e(phi(x_s, e, s, t), t)) / 2.
            var eEnd = model.Epsilon(NoiseRatioStep.Apply(x, s, t, e), t.T);
            return NoiseRatioStep.Apply(x, s, t, [0.5, 0.5], [e, eEnd]);
        });
    }
}
