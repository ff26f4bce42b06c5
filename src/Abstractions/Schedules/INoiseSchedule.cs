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

    /// <summary>Time at which sigma(t) / alpha(t) equals <paramref name="ratio"/> (for sigma-space solvers and Karras steps).</summary>
    double TimeOfNoiseRatio(double ratio) => TimeOfLambda(-Math.Log(ratio));

    /// <summary>d log alpha / dt, the drift coefficient f(t) of the forward SDE dx = f x dt + g dw.</summary>
    double Drift(double t) => Difference(LogAlpha, t);

    /// <summary>g(t)^2 = d sigma^2/dt - 2 f(t) sigma^2, the squared diffusion of the forward SDE.</summary>
    double DiffusionSquared(double t) =>
        Difference(s => Sigma(s) * Sigma(s), t) - 2 * Drift(t) * Sigma(t) * Sigma(t);

    /// <summary>
    /// Derivative by a difference kept inside (0, TMax]: central inside, one-sided at the ends (a schedule
    /// may clamp beyond TMax). Schedules with closed forms override the callers.
    /// </summary>
    protected double Difference(Func<double, double> f, double t)
    {
        double h = 1e-6 * Math.Max(1.0, Math.Abs(t));
        double lo = Math.Max(t - h, h * 1e-3), hi = Math.Min(t + h, TMax);
        if (hi <= lo) hi = lo + h;
        return (f(hi) - f(lo)) / (hi - lo);
    }
}
