using System.ComponentModel;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "ddpm", Aliases = "ancestral,ddpm-ancestral",
    Summary = "DDPM ancestral sampling (Ho et al. 2020) on any decreasing times of a VP schedule")]
public sealed class DdpmExport : PluginExport<Ddpm, DdpmOptions>;

/// <summary>The variance of each ancestral step (Ho et al. 2020, section 3.2).</summary>
public enum DdpmVariance
{
    /// <summary>The posterior variance beta-tilde (diffusers "fixed_small").</summary>
    BetaTilde,
    /// <summary>The forward variance beta (diffusers "fixed_large").</summary>
    Beta,
}

public sealed class DdpmOptions
{
    [Description("step variance: 'beta-tilde' (posterior variance, 'fixed_small') or 'beta' (forward variance, 'fixed_large')")]
    public DdpmVariance Variance { get; set; } = DdpmVariance.BetaTilde;

    [Description("variance.json written by the 'analytic-dpm' optimizer: each step's variance becomes Analytic-DPM's optimal one " +
                 "(Bao et al. 2022, Theorem 1, clipped by Theorem 2) and 'variance' is ignored; relative to the definition's folder")]
    [Pipeline.Options.FilePath]
    public string? AnalyticVariance { get; set; }
}

/// <summary>
/// Ancestral sampling from the posterior q(x_t | x_s, x_0) of the VP Markov chain (<see cref="VpPosterior"/>), with
/// x_0 replaced by the model's prediction (Ho et al. 2020, eqs. (6)-(7)); skipped steps use the same formulas. One
/// model evaluation per step; the step into t = 0 adds no noise.
/// </summary>
public sealed class Ddpm(DdpmOptions options, RunEnvironment? environment = null) : ISolver
{
    readonly AnalyticVariance? analytic = AnalyticVariance.Load(options.AnalyticVariance, environment);

    /// <summary>Each step reads only x and its own two times.</summary>
    public bool OneStep => true;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        if (!schedule.VariancePreserving)
            yield return "ddpm needs a variance-preserving noise schedule (alpha^2 + sigma^2 = 1): its transitions and both variances " +
                "('beta', 'beta-tilde') are those of the VP Markov chain x_s = sqrt(1 - beta) x_t + sqrt(beta) z (Ho et al. 2020); " +
                "on this schedule use 'ddim' with eta = 1 (the same posterior sampler written for any schedule) or 'euler-maruyama'";
        foreach (var problem in TimesCheck.Problems("ddpm", schedule, times)) yield return problem;
        if (analytic is not null)
            foreach (var problem in analytic.Problems("ddpm", times)) yield return problem;
    }

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (s, t) = (step.From, step.To);
        var x0 = context.Model.Data(x, s.T);
        var posterior = VpPosterior.Between(s, t);
        var mean = posterior.Mean(x0, x);
        if (step.IntoClean) return mean;

        // The mean above is the DDIM family's with lambda^2 = beta-tilde, so Analytic-DPM's variance for this mean is
        // the one for that lambda^2.
        double variance = analytic is not null ? analytic.Variance(s, t, posterior.BetaTilde)
            : options.Variance == DdpmVariance.BetaTilde ? posterior.BetaTilde : posterior.Beta;
        return mean.AddScaled_(Math.Sqrt(variance), context.Noise.NormalLike(x));
    });
}
