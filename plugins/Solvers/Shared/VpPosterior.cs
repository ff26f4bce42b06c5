using Pipeline.SolverKit;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The posterior q(x_t | x_s, x_0) of the VP Markov chain between times s &gt; t (Ho et al. 2020, eqs. (6)-(7), the
/// paper's t and t-1 being s and t here, abar = alpha^2 and 1 - abar = sigma^2). Between non-adjacent times the chain's
/// one-step transition is x_s = sqrt(1 - beta) x_t + sqrt(beta) z with 1 - beta = alpha_s^2 / alpha_t^2, so the same
/// formulas hold for skipped steps.
/// </summary>
internal readonly record struct VpPosterior(double DataWeight, double StateWeight, double Beta, double BetaTilde)
{
    public static VpPosterior Between(TimePoint s, TimePoint t)
    {
        double beta = Numerics.OneMinusExpNeg(2 * (t.LogAlpha - s.LogAlpha));   // 1 - alpha_s^2 / alpha_t^2
        double sigmaS2 = s.Sigma * s.Sigma, sigmaT2 = t.Sigma * t.Sigma;
        // mu = sqrt(abar_t) beta / (1 - abar_s) x_0 + sqrt(1 - beta) (1 - abar_t) / (1 - abar_s) x_s;
        // beta-tilde = (1 - abar_t) / (1 - abar_s) beta.
        return new(t.Alpha * beta / sigmaS2, Math.Exp(s.LogAlpha - t.LogAlpha) * sigmaT2 / sigmaS2, beta, beta * sigmaT2 / sigmaS2);
    }

    /// <summary>The posterior mean for the prediction <paramref name="x0"/> of the clean data.</summary>
    public Tensor Mean(Tensor x0, Tensor x) => Linear.Combine(DataWeight, x0, StateWeight, x);
}
