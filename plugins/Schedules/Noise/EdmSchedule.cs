using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.NoiseSchedule, "edm", Aliases = "karras-ve",
    Summary = "EDM (Karras et al. 2022): alpha = 1, sigma(t) = t, t in [0.002, 80]")]
public sealed class EdmScheduleExport : PluginExport<EdmSchedule, EdmScheduleOptions>;

/// <summary>Karras et al. 2022, Table 1 ("ours"): s(t) = 1, sigma(t) = t, so time and noise level coincide.</summary>
public sealed class EdmSchedule : INoiseSchedule
{
    public EdmSchedule(EdmScheduleOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, "noise schedule 'edm'");
        TMin = options.SigmaMin;
        TMax = options.SigmaMax;
    }

    public double TMin { get; }

    public double TMax { get; }

    public int? TrainingSteps => null;

    public bool VariancePreserving => false;

    public double LogAlpha(double t) => 0.0;

    public double Alpha(double t) => 1.0;

    public double Sigma(double t) => t;

    public double Lambda(double t) => -Math.Log(t);

    public double TimeOfLambda(double lambda) => Math.Exp(-lambda);

    public double TimeOfNoiseRatio(double ratio) => ratio;

    public double Drift(double t) => 0.0;

    /// <summary>g(t)^2 = d sigma^2 / dt = 2 t (the probability-flow ODE is dx/dt = (x - D(x; t)) / t, EDM eq. (4)).</summary>
    public double DiffusionSquared(double t) => 2 * t;
}
