using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.NoiseSchedule, "ve", Aliases = "score-sde-ve,vesde",
    Summary = "Continuous VE SDE, sigma(t) = sigmaMin (sigmaMax / sigmaMin)^t (Song et al. 2021)")]
public sealed class VeScheduleExport : PluginExport<VeSchedule, VeScheduleOptions>;

/// <summary>
/// The VE SDE of Song et al. 2021 (eq. (9)): alpha = 1, sigma(t) = sigmaMin (sigmaMax / sigmaMin)^t on (0, 1].
/// By the host's convention t = 0 is the clean data, so sigma(0) = 0: a step to t = 0 removes the last sigmaMin
/// of noise in one jump, as the final denoising step of Song et al. does.
/// </summary>
public sealed class VeSchedule : INoiseSchedule
{
    readonly double logSigmaMin, logRatio;

    public VeSchedule(VeScheduleOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, "noise schedule 've'");
        SigmaMin = options.SigmaMin;
        SigmaMax = options.SigmaMax;
        TMin = options.TMin;
        logSigmaMin = Math.Log(SigmaMin);
        logRatio = Math.Log(SigmaMax / SigmaMin);
    }

    public double SigmaMin { get; }

    public double SigmaMax { get; }

    public double TMin { get; }

    public double TMax => 1.0;

    public int? TrainingSteps => null;

    public bool VariancePreserving => false;

    public double LogAlpha(double t) => 0.0;

    public double Alpha(double t) => 1.0;

    public double Sigma(double t) => t == 0 ? 0.0 : Math.Exp(logSigmaMin + t * logRatio);

    public double Lambda(double t) => t == 0 ? double.PositiveInfinity : -(logSigmaMin + t * logRatio);

    /// <summary>t = (-lambda - log sigmaMin) / log(sigmaMax / sigmaMin); lambda = +inf is t = 0.</summary>
    public double TimeOfLambda(double lambda) =>
        double.IsPositiveInfinity(lambda) ? 0.0 : (-lambda - logSigmaMin) / logRatio;

    public double TimeOfNoiseRatio(double ratio) => ratio == 0 ? 0.0 : (Math.Log(ratio) - logSigmaMin) / logRatio;

    public double Drift(double t) => 0.0;

    /// <summary>g(t)^2 = d sigma^2 / dt = 2 sigma(t)^2 log(sigmaMax / sigmaMin).</summary>
    public double DiffusionSquared(double t)
    {
        double s = Math.Exp(logSigmaMin + t * logRatio);
        return 2 * s * s * logRatio;
    }
}
