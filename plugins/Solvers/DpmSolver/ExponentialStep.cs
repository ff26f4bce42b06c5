using Pipeline.SolverKit;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>Which model output the solver integrates: eps (DPM-Solver) or x_0 (DPM-Solver++).</summary>
internal enum DpmPrediction
{
    Noise,
    Data,
}

/// <summary>
/// One step s -&gt; t of the exact solution in half log-SNR with the model output's Taylor expansion integrated term by
/// term, h = lambda_t - lambda_s:
/// <code>x_t = A x_s + W sum_{k&gt;=1} z phi_k(z) D_{k-1},   D_0 = m(x_s, s), D_k ~ h^k d^k m / d lambda^k</code>
/// Noise prediction (DPM-Solver eq. (3.4), m = eps): A = alpha_t / alpha_s, W = -sigma_t, z = h.
/// Data prediction (DPM-Solver++: x_t = sigma_t/sigma_s x_s + sigma_t int e^lambda x_0 dlambda, m = x_0): A = sigma_t / sigma_s,
/// W = -alpha_t, z = -h.
/// Written this way, every update of both papers (and of both of the authors' solver types) is A x_s plus
/// <see cref="C"/>(k) times a difference of model outputs. A step into t = 0 (data prediction only) has z = -infinity,
/// A = 0 and C(1) = 1: x_t = D_0, the data prediction.
/// </summary>
internal readonly record struct ExponentialStep(double A, double W, double Z, double H)
{
    public static ExponentialStep Between(DpmPrediction prediction, TimePoint s, TimePoint t)
    {
        double h = t.Lambda - s.Lambda;
        return prediction == DpmPrediction.Noise
            ? new(Math.Exp(t.LogAlpha - s.LogAlpha), -t.Sigma, h, h)
            : new(t.Sigma / s.Sigma, -t.Alpha, -h, h);
    }

    /// <summary>W z phi_k(z): the weight of D_{k-1}. C(1) = -sigma_t (e^h - 1) (noise) or alpha_t (1 - e^{-h}) (data).</summary>
    public double C(int k) => W * PhiFunctions.ZPhi(k, Z);
}
