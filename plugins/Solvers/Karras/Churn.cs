using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Karras;

/// <summary>
/// Lines 4-7 of Karras et al. 2022, Algorithm 2, in the scaled variable y = x / alpha with noise level rho = sigma / alpha
/// (the k-diffusion sigma): gamma_i = min(S_churn / N, sqrt(2) - 1) when S_tmin &lt;= rho_i &lt;= S_tmax, rho_hat = (1 + gamma_i)
/// rho_i, y_hat = y_i + sqrt(rho_hat^2 - rho_i^2) S_noise z. The model is then evaluated at the time whose noise level is
/// rho_hat. Unlike k-diffusion, rho_hat is capped at the schedule's noise level at TMax, where the model still has a time.
/// </summary>
internal static class Churn
{
    /// <summary>The step's start after churning: x_hat at the returned time point (x itself and s when gamma = 0).</summary>
    public static (Tensor X, TimePoint Point) Apply(ChurnOptions options, SamplingContext context, Tensor x, SolverStep step)
    {
        var s = step.From;
        double rho = s.Rho;
        double gamma = options.SChurn > 0 && rho >= options.STmin && rho <= (options.STmax ?? double.PositiveInfinity)
            ? Math.Min(options.SChurn / context.Steps, Math.Sqrt(2) - 1)
            : 0;
        if (gamma == 0) return (x, s);

        var schedule = context.Schedule;
        double rhoMax = schedule.Sigma(schedule.TMax) / schedule.Alpha(schedule.TMax);
        double rhoHat = Math.Min((1 + gamma) * rho, rhoMax);
        if (!(rhoHat > rho)) return (x, s);
        var hat = TimePoint.At(schedule, Math.Min(schedule.TimeOfNoiseRatio(rhoHat), schedule.TMax));

        // x_hat = alpha_hat y_hat = (alpha_hat / alpha_s) x + alpha_hat sqrt(rho_hat^2 - rho^2) S_noise z, the square root
        // through the half log-SNRs of both points so it keeps its digits for small gamma (and is 0, not NaN, should the
        // inverse t(rho_hat) round below t_i).
        double rhoHatOfPoint = hat.Rho;
        double spread = rhoHatOfPoint * Math.Sqrt(Numerics.OneMinusExpNeg(Math.Max(0, 2 * (s.Lambda - hat.Lambda))));
        var xHat = Linear.Combine(hat.Alpha / s.Alpha, x, hat.Alpha * spread * options.SNoise, context.Noise.NormalLike(x));
        return (xHat, hat);
    }
}
