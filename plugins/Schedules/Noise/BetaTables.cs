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
}
