using Pipeline.Options;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Pndm;

[Plugin(PluginKinds.Solver, "pndm", Aliases = "f-pndm,pndm-prk",
    Summary = "PNDM (Liu et al. 2022): 3 pseudo Runge-Kutta steps (4 NFE each), then 4th-order pseudo linear multistep")]
public sealed class PndmExport : PluginExport<Pndm, NoOptions>;

/// <summary>
/// F-PNDM (Liu et al. 2022, Algorithm 2; diffusers' PNDMScheduler with skip_prk_steps = false). The transfer
/// phi(x, e, t, t') is the DDIM step (eq. (9)); the first three steps are pseudo Runge-Kutta steps (eq. (13)) with the
/// half step at the midpoint in t, each storing its first eps for the multistep that follows; every later step is the
/// 4th-order pseudo linear multistep (eq. (12)). A step into t = 0 cannot evaluate its end, so there the multistep
/// combination of the history so far is used (one NFE). NFE: 4 for each of the first three steps that does not end at
/// t = 0, 1 for every other step.
/// </summary>
public sealed class Pndm : ISolver
{
    /// <summary>The host builds every plugin with its options object; pndm has none.</summary>
    public Pndm(NoOptions? options = null) { }

    /// <summary>Pseudo Runge-Kutta steps before the multistep has its four slopes.</summary>
    const int WarmUpSteps = 3;

    static bool RungeKutta(IReadOnlyList<double> times, int i) => i < WarmUpSteps && times[i + 1] > 0;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        // The warm-up evaluates the model at the end of its steps, the final time too when there are at most three.
        TimesCheck.Problems("pndm", schedule, times, evaluatesLast: times.Count - 1 <= WarmUpSteps);

    public int Evaluations(IReadOnlyList<double> times) =>
        Enumerable.Range(0, Math.Max(times.Count - 1, 0)).Sum(i => RungeKutta(times, i) ? 4 : 1);

    public Tensor Sample(SamplingContext context)
    {
        using var history = new MultistepHistory(PseudoLinearMultistep.MaxOrder);
        var model = context.Model;
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            var e1 = model.Epsilon(x, s.T);
            history.Push(s, e1);
            if (!RungeKutta(context.Times, step.Index))
                return PseudoLinearMultistep.Step(x, s, t, history, history.Count);

            // Eq. (13): the classical RK4 stages with each Euler sub-step replaced by the transfer phi from x_s.
            var mid = TimePoint.At(context.Schedule, (s.T + t.T) / 2);
            var e2 = model.Epsilon(NoiseRatioStep.Apply(x, s, mid, e1), mid.T);
            var e3 = model.Epsilon(NoiseRatioStep.Apply(x, s, mid, e2), mid.T);
            var e4 = model.Epsilon(NoiseRatioStep.Apply(x, s, t, e3), t.T);
            return NoiseRatioStep.Apply(x, s, t, [1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6], [e1, e2, e3, e4]);
        });
    }
}
