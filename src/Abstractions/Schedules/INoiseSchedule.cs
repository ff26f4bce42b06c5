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

    /// <summary>
    /// Standard deviation per coordinate of the prior that sampling starts from at time t: every run draws
    /// x_T = PriorStd(t_0) z with z ~ N(0, I) and t_0 its first time. In general it is the spread of p_t for data of
    /// unit scale, sqrt(alpha(t)^2 + sigma(t)^2), taken in the form the literature uses: exactly 1 on VP schedules
    /// (alpha^2 + sigma^2 = 1: DDPM, DDIM, DPM-Solver start from N(0, I)), and sigma(t) where alpha = 1 (VE, EDM: the
    /// score-SDE code's prior_sampling, EDM's latents * t_steps[0], k-diffusion's randn * sigmas[0]), which leaves out the
    /// data's share of the spread, a relative 1 / (2 sigma^2) (2e-4 at sigma = 50), so a z ported from those codes gives
    /// the same x_T. The host draws every x_T by this rule (runs, comparisons, offline optimizers).
    /// </summary>
    double PriorStd(double t)
    {
        if (VariancePreserving) return 1.0;
        double alpha = Alpha(t), sigma = Sigma(t);
        return alpha == 1.0 ? sigma : Math.Sqrt(alpha * alpha + sigma * sigma);
    }

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
