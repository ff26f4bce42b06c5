using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.SolverKit;

/// <summary>
/// The first-order step in the scaled variable y = x / alpha against the noise ratio rho = sigma / alpha, with the
/// slope e (an eps prediction, or a combination of several) held fixed over the step:
/// <code>y_t = y_s + (rho_t - rho_s) e,   i.e.   x_t = (alpha_t / alpha_s) x_s + alpha_t (rho_t - rho_s) e.</code>
/// With e = eps(x_s, s) this is DDIM (Song et al. 2021, eq. (12), eta = 0), PNDM's transfer phi (Liu et al. 2022,
/// eq. (9)) and Euler's method in Karras et al.'s sigma (EDM eq. (4) for x / alpha). Multistep and Runge-Kutta methods
/// in rho replace e by a weighted sum of slopes. On VE and EDM schedules alpha = 1 and rho = sigma.
/// </summary>
public static class NoiseRatioStep
{
    /// <summary>
    /// alpha_t (rho_t - rho_s), as alpha_t rho_s (e^{-h} - 1) with h = lambda_t - lambda_s, free of cancellation on
    /// short steps; -rho_s on a step into t = 0 (h = +infinity).
    /// </summary>
    /// <param name="s">The step's start.</param>
    /// <param name="t">The step's end.</param>
    public static double Increment(TimePoint s, TimePoint t) =>
        t.Alpha * (s.Sigma / s.Alpha) * Numerics.ExpM1(-(t.Lambda - s.Lambda));

    /// <summary>x_t from x_s with one slope e, a new tensor.</summary>
    /// <param name="x">x_s; not written.</param>
    /// <param name="s">The step's start.</param>
    /// <param name="t">The step's end.</param>
    /// <param name="e">The slope: an eps prediction at s for DDIM and Euler.</param>
    public static Tensor Apply(Tensor x, TimePoint s, TimePoint t, Tensor e) =>
        Linear.Combine(t.Alpha / s.Alpha, x, Increment(s, t), e);

    /// <summary>x_t from x_s with the slope sum_j weights[j] slopes[j] (weights sum to 1 for a consistent method), a new tensor.</summary>
    /// <param name="x">x_s; not written.</param>
    /// <param name="s">The step's start.</param>
    /// <param name="t">The step's end.</param>
    /// <param name="weights">One weight per slope.</param>
    /// <param name="slopes">The slopes, for example <see cref="MultistepHistory.Newest"/>.</param>
    public static Tensor Apply(Tensor x, TimePoint s, TimePoint t, ReadOnlySpan<double> weights, IReadOnlyList<Tensor> slopes)
    {
        if (weights.Length != slopes.Count || weights.Length == 0)
            throw new ArgumentException($"{weights.Length} weights for {slopes.Count} slopes", nameof(weights));
        double increment = Increment(s, t);
        var next = Linear.Combine(t.Alpha / s.Alpha, x, increment * weights[0], slopes[0]);
        for (int j = 1; j < weights.Length; j++)
            if (weights[j] != 0) next.AddScaled_(increment * weights[j], slopes[j]);
        return next;
    }
}
