using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.NoiseSchedule, "discrete", Aliases = "ddpm,betas,discrete-vp",
    Summary = "Discrete DDPM betas (linear, scaled-linear, cosine or explicit), log alpha interpolated between training steps")]
public sealed class DiscreteScheduleExport : PluginExport<DiscreteSchedule, DiscreteScheduleOptions>;

/// <summary>
/// A discrete-time VP schedule (Ho et al. 2020) made continuous by the DPM-Solver convention: training step i
/// (0 .. N-1) sits at t = (i + 1) / N with alpha_bar_i = prod_{j &lt;= i} (1 - beta_j); log alpha(t) is linear in t
/// between neighbouring steps and between t = 0 (log alpha = 0) and t = 1/N. Beyond t = 1 the last segment extends.
/// </summary>
public sealed class DiscreteSchedule : INoiseSchedule, IModelTimeConvention
{
    ModelTimeRule modelTime = ModelTimeRule.Exact;

    // knots[k] = log alpha at t = k / N: knots[0] = 0 (clean data), knots[i + 1] = log(alpha_bar_i) / 2.
    readonly double[] knots;
    // lambdas[k] = lambda at t = k / N, strictly decreasing from +infinity.
    readonly double[] lambdas;
    readonly double[] alphasCumprod;

    public DiscreteSchedule(DiscreteScheduleOptions options)
        : this(Validated(options).ResolveBetas())
    {
        modelTime = options.ModelTime;
    }

    /// <summary>'nearest-step': training step k = round(t N - 1) at t = (k + 1) / N, within 0 .. N-1.</summary>
    public double ModelTime(double t)
    {
        if (modelTime == ModelTimeRule.Exact) return t;
        int n = Betas.Count;
        double k = Math.Clamp(Math.Round(t * n - 1, MidpointRounding.ToEven), 0, n - 1);
        return (k + 1) / n;
    }

    /// <summary>A schedule from explicit betas, each in (0, 1).</summary>
    public static DiscreteSchedule FromBetas(IReadOnlyList<double> betas) => new(betas);

    DiscreteSchedule(IReadOnlyList<double> betas)
    {
        if (betas.Count == 0) throw new Options.PipelineInputException("noise schedule 'discrete': 'betas' is empty");
        int n = betas.Count;
        Betas = betas.ToArray();
        knots = new double[n + 1];
        alphasCumprod = new double[n];
        double logCumprod = 0;
        for (int i = 0; i < n; i++)
        {
            double b = betas[i];
            if (!(b > 0 && b < 1))
                throw new Options.PipelineInputException($"noise schedule 'discrete': beta {i} = {b} is outside (0, 1)");
            // Sum of log(1 - beta) keeps tiny 1 - alpha_bar accurate where a running product would round.
            logCumprod += VpMath.Log1P(-b);
            alphasCumprod[i] = Math.Exp(logCumprod);
            knots[i + 1] = 0.5 * logCumprod;
        }
        lambdas = knots.Select(VpMath.Lambda).ToArray();
    }

    static DiscreteScheduleOptions Validated(DiscreteScheduleOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, "noise schedule 'discrete'");
        return options;
    }

    /// <summary>beta_0 .. beta_{N-1}.</summary>
    public IReadOnlyList<double> Betas { get; }

    /// <summary>alpha_bar_i = prod_{j &lt;= i} (1 - beta_j), i = 0 .. N-1 (alpha(t)^2 at t = (i + 1) / N).</summary>
    public IReadOnlyList<double> AlphasCumprod => alphasCumprod;

    public int? TrainingSteps => Betas.Count;

    int N => Betas.Count;

    public double TMin => 1.0 / N;

    public double TMax => 1.0;

    public bool VariancePreserving => true;

    /// <summary>Continuous time of training step <paramref name="index"/>: (index + 1) / N.</summary>
    public double TimeOfStep(int index) => (index + 1) / (double)N;

    public double LogAlpha(double t)
    {
        var (k, u) = Segment(t);
        return knots[k] + u * (knots[k + 1] - knots[k]);
    }

    public double Alpha(double t) => Math.Exp(LogAlpha(t));

    public double Sigma(double t) => VpMath.Sigma(LogAlpha(t));

    public double Lambda(double t) => VpMath.Lambda(LogAlpha(t));

    /// <summary>
    /// Exact inverse of the piecewise-linear log alpha: the segment comes from a binary search on the knot lambdas,
    /// then log alpha = -softplus(-2 lambda) / 2 is solved for the position on that segment.
    /// </summary>
    public double TimeOfLambda(double lambda)
    {
        if (double.IsPositiveInfinity(lambda)) return 0.0;
        // Largest k in [0, N-1] with lambdas[k] >= lambda (lambdas[0] = +inf); k = N-1 also covers lambda below the range.
        int lo = 0, hi = N - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (lambdas[mid] >= lambda) lo = mid; else hi = mid - 1;
        }
        double logAlpha = VpMath.LogAlphaOfLambda(lambda);
        double u = (logAlpha - knots[lo]) / (knots[lo + 1] - knots[lo]);
        return (lo + u) / N;
    }

    public double TimeOfNoiseRatio(double ratio) => TimeOfLambda(-Math.Log(ratio));

    /// <summary>
    /// f(t) = d log alpha / dt, constant N (knots[k+1] - knots[k]) on each segment. At a training step the segment
    /// below it is used, the one a reverse-time step from that step crosses.
    /// </summary>
    public double Drift(double t)
    {
        double x = t * N;
        double nearest = Math.Round(x);
        int k = Math.Abs(x - nearest) <= 1e-9 * Math.Max(1.0, nearest) ? (int)nearest - 1 : (int)Math.Floor(x);
        k = Math.Clamp(k, 0, N - 1);
        return N * (knots[k + 1] - knots[k]);
    }

    /// <summary>For VP, sigma^2 = 1 - alpha^2 gives g^2 = d sigma^2/dt - 2 f sigma^2 = -2 f.</summary>
    public double DiffusionSquared(double t) => -2 * Drift(t);

    // Segment k (between t = k/N and (k+1)/N) holding t, and the fraction u along it; outside [0, 1] the end segments extend.
    (int K, double U) Segment(double t)
    {
        double x = t * N;
        int k = (int)Math.Clamp(Math.Floor(x), 0, N - 1);
        return (k, x - k);
    }
}
