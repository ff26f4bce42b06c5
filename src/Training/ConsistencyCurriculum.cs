namespace Pipeline.Host.Training;

/// <summary>
/// The number of boundaries N(k) of consistency training at optimizer step k of K, and the target network's decay mu(k).
/// Consistency training (Song et al. 2023, Appendix C, Table 3): N grows like a square root from s0 + 1 to s1 + 1 and mu
/// follows it, N(k) = ceil(sqrt(k / K ((s1 + 1)^2 - s0^2) + s0^2) - 1) + 1, mu(k) = exp(s0 log mu0 / N(k)).
/// Improved consistency training (Song and Dhariwal 2023, section 3.4): N doubles every K' steps,
/// N(k) = min(s0 2^floor(k / K'), s1) + 1 with K' = floor(K / (log2 floor(s1 / s0) + 1)), and mu(k) = 0.
/// </summary>
public static class ConsistencyCurriculum
{
    /// <summary>N(k) of consistency training (Song et al. 2023).</summary>
    public static int Training(int k, int total, int s0, int s1)
    {
        double r = Math.Sqrt((double)k / total * ((s1 + 1.0) * (s1 + 1.0) - (double)s0 * s0) + (double)s0 * s0);
        return (int)Math.Ceiling(r - 1) + 1;
    }

    /// <summary>mu(k) = exp(s0 log mu0 / N(k)) of consistency training; mu0 at N = s0.</summary>
    public static double TargetDecay(int boundaries, int s0, double mu0) => Math.Exp(s0 * Math.Log(mu0) / boundaries);

    /// <summary>K' of the improved curriculum: the steps between doublings, at least 1.</summary>
    public static int DoublingPeriod(int total, int s0, int s1) =>
        Math.Max(1, (int)Math.Floor(total / (Math.Log2(Math.Floor((double)s1 / s0)) + 1)));

    /// <summary>N(k) of improved consistency training (Song and Dhariwal 2023, section 3.4).</summary>
    public static int Improved(int k, int total, int s0, int s1)
    {
        int doublings = k / DoublingPeriod(total, s0, s1);
        // s0 2^d, capped before it can overflow.
        double steps = doublings >= 30 ? s1 : Math.Min((double)s0 * (1L << doublings), s1);
        return (int)steps + 1;
    }
}
