namespace Pipeline.Host.Diffusers;

/// <summary>
/// The noise ratios of diffusers' sigma-based schedulers (Euler, Heun, LMS, KDPM2) and the times of the discrete
/// schedule that have them. Those schedulers space their timesteps (possibly fractional: 'linspace' gives
/// linspace(0, N - 1, steps)) and interpolate sigma = sqrt((1 - alpha_bar) / alpha_bar) linearly between training
/// steps (interpolation_type "linear"); the discrete schedule interpolates log alpha linearly in t, so a fractional
/// timestep tau is placed at the time whose noise ratio is diffusers' sigma(tau), not at (tau + 1) / N.
/// </summary>
public sealed class DiffusersSigmas
{
    readonly double[] logAlphaBar;

    /// <param name="betas">beta_0 .. beta_{N-1}, as the discrete schedule computes them.</param>
    public DiffusersSigmas(IReadOnlyList<double> betas)
    {
        logAlphaBar = new double[betas.Count];
        double sum = 0;
        for (int i = 0; i < betas.Count; i++) logAlphaBar[i] = sum += Math.Log(1 - betas[i]);
    }

    /// <summary>Training steps N.</summary>
    public int TrainingSteps => logAlphaBar.Length;

    /// <summary>sigma_k = sqrt((1 - alpha_bar_k) / alpha_bar_k) at training step k.</summary>
    public double Sigma(int k) => Math.Sqrt((1 - Math.Exp(logAlphaBar[k])) / Math.Exp(logAlphaBar[k]));

    /// <summary>diffusers' np.interp of the sigma table at timestep tau in [0, N - 1].</summary>
    public double SigmaAt(double tau)
    {
        int k = Math.Clamp((int)Math.Floor(tau), 0, TrainingSteps - 2);
        double f = tau - k;
        return f == 0 ? Sigma(k) : (1 - f) * Sigma(k) + f * Sigma(k + 1);
    }

    /// <summary>
    /// The time t of the discrete schedule whose noise ratio is <paramref name="sigma"/>: training step k sits at
    /// (k + 1) / N with log alpha = log(alpha_bar_k) / 2, linear in t in between.
    /// </summary>
    public double TimeOf(double sigma)
    {
        double logAlpha = -0.5 * Math.Log(1 + sigma * sigma);
        int n = TrainingSteps;
        for (int k = 0; k < n - 1; k++)
        {
            double a = 0.5 * logAlphaBar[k], b = 0.5 * logAlphaBar[k + 1];
            if (logAlpha <= a && logAlpha >= b)
                return logAlpha == a ? (k + 1.0) / n : (k + 1 + (logAlpha - a) / (b - a)) / n;
        }
        throw new ArgumentOutOfRangeException(nameof(sigma), $"noise ratio {sigma} is outside the training steps' range");
    }

    /// <summary>The betas the discrete schedule computes for diffusers' beta_schedule names (double precision).</summary>
    public static double[] Betas(string schedule, int n, double start, double end) => schedule switch
    {
        "linear" => Linspace(start, end, n),
        "scaled_linear" => Linspace(Math.Sqrt(start), Math.Sqrt(end), n).Select(b => b * b).ToArray(),
        _ => SquaredCosine(n),
    };

    static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        double step = num > 1 ? (stop - start) / (num - 1) : 0;
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[^1] = stop;
        return y;
    }

    /// <summary>Improved DDPM eq. (17), beta capped at 0.999 (diffusers' betas_for_alpha_bar).</summary>
    static double[] SquaredCosine(int n)
    {
        static double AlphaBar(double t)
        {
            double c = Math.Cos((t + 0.008) / 1.008 * Math.PI / 2);
            return c * c;
        }
        var betas = new double[n];
        for (int i = 0; i < n; i++) betas[i] = Math.Min(1 - AlphaBar((i + 1) / (double)n) / AlphaBar(i / (double)n), 0.999);
        return betas;
    }
}
