using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Karras;

[Plugin(PluginKinds.Solver, "dpm2-ancestral", Aliases = "kdpm2-ancestral,k-dpm-2-ancestral,dpm-2-ancestral,dpm_2_ancestral",
    Summary = "Ancestral DPM-2 in sigma (k-diffusion sample_dpm_2_ancestral): a DPM-2 step down to sigma_down, then fresh noise of std sigma_up")]
public sealed class Dpm2AncestralExport : PluginExport<Dpm2Ancestral, Dpm2AncestralOptions>;

/// <summary>
/// k-diffusion's sample_dpm_2_ancestral in y = x / alpha and rho = sigma / alpha. Each step from rho_i to rho_{i+1} is
/// split as in ancestral sampling (Ho et al. 2020 for the VE chain; k-diffusion's get_ancestral_step):
/// rho_up = min(rho_{i+1}, eta rho_{i+1} sqrt(1 - rho_{i+1}^2 / rho_i^2)), rho_down = sqrt(rho_{i+1}^2 - rho_up^2);
/// the deterministic DPM-2 stage (<see cref="Dpm2Step"/>) goes from rho_i to rho_down and the step ends at
/// y_{i+1} = y_down + S_noise rho_up z, z from the run's noise source. With eta = 1 the added variance is the VE
/// posterior's. A step into t = 0 is an Euler step without noise. NFE: 2 per step, 1 on a step into t = 0.
/// </summary>
public sealed class Dpm2Ancestral(Dpm2AncestralOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("dpm2-ancestral", schedule, times);

    public int Evaluations(IReadOnlyList<double> times) => Dpm2Step.Evaluations(times);

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (s, t) = (step.From, step.To);
        var d = context.Model.Epsilon(x, s.T);
        if (step.IntoClean) return NoiseRatioStep.Apply(x, s, t, d);

        double rhoS = s.Rho, rhoT = t.Rho;
        double rhoUp = Math.Min(rhoT, options.Eta * rhoT * Math.Sqrt(Math.Max(0, 1 - rhoT * rhoT / (rhoS * rhoS))));
        double rhoDown = Math.Sqrt(rhoT * rhoT - rhoUp * rhoUp);
        var dMid = Dpm2Step.MidpointSlope(context, x, s, d, rhoDown);
        // x_{i+1} = alpha_{i+1} (y_s + (rho_down - rho_s) d_mid + S_noise rho_up z).
        var next = Linear.Combine(t.Alpha / s.Alpha, x, t.Alpha * (rhoDown - rhoS), dMid);
        if (rhoUp > 0) next.AddScaled_(t.Alpha * rhoUp * options.SNoise, context.Noise.NormalLike(x));
        return next;
    });
}
