using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.NoiseSchedule, "vp-linear", Aliases = "vp,score-sde-vp,linear-vp",
    Summary = "Continuous VP SDE with linear beta(t) (Song et al. 2021), betaMin 0.1, betaMax 20")]
public sealed class VpLinearScheduleExport : PluginExport<VpLinearSchedule, VpLinearScheduleOptions>;

/// <summary>
/// The VP SDE of Song et al. 2021 (eq. (11)) with beta(t) = b0 + t (b1 - b0):
/// log alpha(t) = -t^2 (b1 - b0) / 4 - t b0 / 2 (DPM-Solver, Lu et al. 2022, sec. 2 / app. D).
/// </summary>
public sealed class VpLinearSchedule : INoiseSchedule
{
    readonly double b0, b1;

    public VpLinearSchedule(VpLinearScheduleOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, "noise schedule 'vp-linear'");
        b0 = options.BetaMin;
        b1 = options.BetaMax;
        TMin = options.TMin;
        TMax = options.TMax;
    }

    public double TMin { get; }

    public double TMax { get; }

    public int? TrainingSteps => null;

    public bool VariancePreserving => true;

    /// <summary>beta(t) = b0 + t (b1 - b0).</summary>
    public double Beta(double t) => b0 + t * (b1 - b0);

    public double LogAlpha(double t) => -0.25 * t * t * (b1 - b0) - 0.5 * t * b0;

    public double Alpha(double t) => Math.Exp(LogAlpha(t));

    public double Sigma(double t) => VpMath.Sigma(LogAlpha(t));

    public double Lambda(double t) => VpMath.Lambda(LogAlpha(t));

    /// <summary>
    /// Solves (b1 - b0) t^2 / 2 + b0 t = s with s = -2 log alpha = softplus(-2 lambda) by the cancellation-free root
    /// t = 2 s / (b0 + sqrt(b0^2 + 2 (b1 - b0) s)) (DPM-Solver's inverse_lambda for the linear VP).
    /// </summary>
    public double TimeOfLambda(double lambda)
    {
        if (double.IsPositiveInfinity(lambda)) return 0.0;
        double s = VpMath.Softplus(-2 * lambda);
        return 2 * s / (b0 + Math.Sqrt(b0 * b0 + 2 * (b1 - b0) * s));
    }

    public double TimeOfNoiseRatio(double ratio) => TimeOfLambda(-Math.Log(ratio));

    /// <summary>f(t) = -beta(t) / 2.</summary>
    public double Drift(double t) => -0.5 * Beta(t);

    /// <summary>g(t)^2 = beta(t).</summary>
    public double DiffusionSquared(double t) => Beta(t);
}
