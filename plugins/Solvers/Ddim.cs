using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Models;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "ddim", Aliases = "ddim-eta",
    Summary = "DDIM (Song et al. 2021); eta = 0 deterministic, eta = 1 the DDPM posterior; any schedule")]
public sealed class DdimExport : PluginExport<Ddim, DdimOptions>;

public sealed class DdimOptions
{
    [Description("0 = deterministic DDIM, 1 = DDPM posterior noise (beta-tilde); values between interpolate (Song et al. 2021, eq. (16))")]
    [Range(0.0, 1.0)]
    public double Eta { get; set; } = 0.0;

    [Description("variance.json written by the 'analytic-dpm' optimizer: the noise added each step becomes Analytic-DPM's optimal " +
                 "variance for this eta's mean (Bao et al. 2022, Theorem 1, clipped by Theorem 2); with eta = 0 this is their Analytic-DDIM, " +
                 "which then adds noise; relative to the definition's folder")]
    [Pipeline.Options.FilePath]
    public string? AnalyticVariance { get; set; }
}

/// <summary>
/// DDIM (Song et al. 2021, eq. (12)): x_t = alpha_t x_0 + sqrt(sigma_t^2 - c^2) eps + c z, with x_0 and eps from
/// one model evaluation at (x_s, s). The noise scale c, sigma_t(eta) of eq. (16), is written through the log-SNR step
/// h = lambda_t - lambda_s as c = eta sigma_t sqrt(1 - e^{-2h}); on VP schedules this is exactly eq. (16), and on any
/// schedule it is the posterior standard deviation of x_t given (x_s, x_0) under the chain with those marginals, so
/// every eta keeps the marginals and the sampler is valid on VE and EDM schedules too. With eta = 0 it is the
/// first-order DPM-Solver, i.e. Euler's method for x/alpha in sigma/alpha.
/// </summary>
public sealed class Ddim(DdimOptions options, RunEnvironment? environment = null) : ISolver
{
    readonly AnalyticVariance? analytic = AnalyticVariance.Load(options.AnalyticVariance, environment);

    /// <summary>Each step reads only x and its own two times.</summary>
    public bool OneStep => true;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        analytic is null ? TimesCheck.Problems("ddim", schedule, times)
            : TimesCheck.Problems("ddim", schedule, times).Concat(analytic.Problems("ddim", times));

    /// <summary>
    /// A distilled student (Salimans and Ho 2022) learned the deterministic step only: its target is two eta = 0 teacher
    /// steps, so added noise or another variance would sample something it was not trained for.
    /// </summary>
    public IEnumerable<string> CheckModel(IDiffusionModel model, INoiseSchedule schedule)
    {
        if (model is ILatentModel) yield return ISolver.LatentModelProblem;
        if (model is IDistilledModel && (options.Eta != 0 || analytic is not null))
            yield return "the model is a distilled student trained for the deterministic DDIM step (eta 0, no analytic variance); remove eta and analyticVariance";
    }

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (s, t) = (step.From, step.To);
        var (eps, x0) = context.Model.Predict(x, s.T);

        // Eq. (16) as a fraction of sigma_t: (sigma_t(eta) / sigma_t)^2 = eta^2 (1 - e^{-2h}); 0 on a step into t = 0.
        double noiseShare2 = options.Eta * options.Eta * Numerics.OneMinusExpNeg(2 * step.H);
        // Eq. (12): predicted x_0, direction pointing to x_t, random noise.
        var next = Linear.Combine(t.Alpha, x0, t.Sigma * Math.Sqrt(1 - noiseShare2), eps);
        if (step.IntoClean) return next;
        // The mean stays eq. (12)'s; Analytic-DPM replaces only its variance sigma_t(eta)^2 (their lambda_n^2).
        double scale = analytic is not null ? Math.Sqrt(analytic.Variance(s, t, t.Sigma * t.Sigma * noiseShare2)) : t.Sigma * Math.Sqrt(noiseShare2);
        if (scale == 0) return next;
        return next.AddScaled_(scale, context.Noise.NormalLike(x));
    });
}
