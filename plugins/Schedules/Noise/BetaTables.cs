namespace Pipeline.Plugins.Schedules;

/// <summary>The beta sequences of discrete DDPM schedules, in double precision.</summary>
public static class BetaTables
{
    public static double[] Linear(int n, double start, double end) => NumPy.Linspace(start, end, n);

    public static double[] ScaledLinear(int n, double start, double end) =>
        NumPy.Linspace(Math.Sqrt(start), Math.Sqrt(end), n).Select(b => b * b).ToArray();

    /// <summary>
    /// Improved DDPM (Nichol and Dhariwal 2021) eq. (17): alpha_bar(t) = cos^2((t + s) / (1 + s) pi / 2) with s = 0.008,
    /// beta_i = min(1 - alpha_bar((i + 1) / N) / alpha_bar(i / N), maxBeta).
    /// </summary>
    public static double[] SquaredCosine(int n, double maxBeta = 0.999)
    {
        static double AlphaBar(double t)
        {
            double c = Math.Cos((t + 0.008) / 1.008 * Math.PI / 2);
            return c * c;
        }
        var betas = new double[n];
        for (int i = 0; i < n; i++)
            betas[i] = Math.Min(1 - AlphaBar((i + 1) / (double)n) / AlphaBar(i / (double)n), maxBeta);
        return betas;
    }

    /// <summary>
    /// The VP SDE's alpha_bar(tau) = exp(-tau^2 (betaMax - betaMin) / 2 - tau betaMin) (Song et al. 2021) at
    /// tau_k = eps + (1 - eps) k / N, k = 0 .. N, as a chain of N betas beta_k = 1 - alpha_bar(tau_k) / alpha_bar(tau_(k-1))
    /// (Xiao et al. 2022, Appendix C, with betaMin 0.1, betaMax 20, eps 1e-3). Step 0 of the chain is the clean data.
    /// </summary>
    public static double[] VpContinuous(int n, double betaMin = 0.1, double betaMax = 20, double eps = 1e-3)
    {
        double LogAlphaBar(int k)
        {
            double tau = eps + (1 - eps) * k / n;
            return -0.5 * tau * tau * (betaMax - betaMin) - tau * betaMin;
        }
        var betas = new double[n];
        for (int k = 1; k <= n; k++)
            betas[k - 1] = -VpMath.ExpM1(LogAlphaBar(k) - LogAlphaBar(k - 1));
        return betas;
    }
}
