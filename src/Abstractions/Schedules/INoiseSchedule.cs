namespace Pipeline.Schedules;

/// <summary>
/// The forward process x_t = alpha(t) x_0 + sigma(t) eps over continuous time t.
/// VP (discrete betas, continuous linear beta), VE and EDM all take this form. Time t = 0 is the clean
/// data (alpha = 1, sigma = 0, lambda = +infinity); solvers may step to it but never evaluate the model there.
/// </summary>
public interface INoiseSchedule
{
    /// <summary>Smallest time at which the model may be evaluated (1/N for discrete schedules).</summary>
    double TMin { get; }

    /// <summary>Largest time, where sampling starts by default.</summary>
    double TMax { get; }

    /// <summary>Number of training steps N for discrete-time schedules; null for continuous ones.</summary>
    int? TrainingSteps { get; }

    /// <summary>True when alpha(t)^2 + sigma(t)^2 = 1 (VP); ancestral DDPM needs this.</summary>
    bool VariancePreserving { get; }

    double LogAlpha(double t);

    double Sigma(double t);

    double Alpha(double t) => Math.Exp(LogAlpha(t));

    /// <summary>Half log-SNR: log alpha - log sigma.</summary>
    double Lambda(double t) => LogAlpha(t) - Math.Log(Sigma(t));

    /// <summary>Inverse of <see cref="Lambda"/> on [TMin, TMax] (exact or to machine precision).</summary>
    double TimeOfLambda(double lambda);

    /// <summary>Time of a given sigma (for sigma-space solvers and Karras steps).</summary>
    double TimeOfSigma(double sigma);
}
