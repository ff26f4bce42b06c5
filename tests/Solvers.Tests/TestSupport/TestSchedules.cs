using Pipeline.Schedules;

namespace Pipeline.Tests.TestSupport;

/// <summary>
/// DDPM's discrete linear betas (1e-4 .. 0.02, N = 1000) with the project convention: step i is t = (i+1)/N and
/// log alpha is linear in t between steps, and between t = 0 (log alpha = 0) and t = 1/N.
/// </summary>
public sealed class DiscreteLinearSchedule : INoiseSchedule
{
    public DiscreteLinearSchedule(int n = 1000, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        N = n;
        knots = new double[n + 1];   // knots[j] = log alpha at t = j / N
        for (int i = 0; i < n; i++)
        {
            double beta = betaStart + (betaEnd - betaStart) * i / (n - 1);
            knots[i + 1] = knots[i] + 0.5 * Math.Log(1 - beta);
        }
    }

    readonly double[] knots;
    public int N { get; }

    public double TMin => 1.0 / N;
    public double TMax => 1.0;
    public int? TrainingSteps => N;
    public bool VariancePreserving => true;

    public double LogAlpha(double t)
    {
        // Past t = 1 the last segment is extended, so the central differences of Drift(1) stay two-sided.
        double u = Math.Max(t, 0) * N;
        int j = Math.Min((int)Math.Floor(u), N - 1);
        return knots[j] + (u - j) * (knots[j + 1] - knots[j]);
    }

    public double Sigma(double t) => VpSigma(LogAlpha(t));

    public double TimeOfLambda(double lambda)
    {
        double logAlpha = VpLogAlpha(lambda);
        // knots decrease with j: find the segment holding logAlpha.
        int lo = 0, hi = N;
        if (logAlpha <= knots[N]) return 1.0;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (knots[mid] >= logAlpha) lo = mid; else hi = mid;
        }
        return (lo + (logAlpha - knots[lo]) / (knots[hi] - knots[lo])) / N;
    }

    /// <summary>sigma = sqrt(1 - alpha^2) without cancellation.</summary>
    public static double VpSigma(double logAlpha) => Math.Sqrt(-ExpM1(2 * logAlpha));

    /// <summary>For VP, alpha^2 = 1 / (1 + e^{-2 lambda}).</summary>
    public static double VpLogAlpha(double lambda) =>
        lambda > 0 ? -0.5 * LogOnePlus(Math.Exp(-2 * lambda)) : lambda - 0.5 * LogOnePlus(Math.Exp(2 * lambda));

    static double LogOnePlus(double x) => x < 1e-4 ? x - x * x / 2 + x * x * x / 3 - x * x * x * x / 4 : Math.Log(1 + x);

    /// <summary>e^x - 1 = 2 tanh(x/2) / (1 - tanh(x/2)), accurate near 0.</summary>
    static double ExpM1(double x) { double th = Math.Tanh(x / 2); return 2 * th / (1 - th); }
}

/// <summary>Continuous VP with linear beta(t) = 0.1 + 19.9 t (Song et al. 2021).</summary>
public sealed class ContinuousVpLinearSchedule(double beta0 = 0.1, double beta1 = 20, double tMin = 1e-3) : INoiseSchedule
{
    public double TMin => tMin;
    public double TMax => 1.0;
    public int? TrainingSteps => null;
    public bool VariancePreserving => true;

    public double LogAlpha(double t) => -0.25 * t * t * (beta1 - beta0) - 0.5 * t * beta0;

    public double Sigma(double t) => DiscreteLinearSchedule.VpSigma(LogAlpha(t));

    public double TimeOfLambda(double lambda)
    {
        double logAlpha = DiscreteLinearSchedule.VpLogAlpha(lambda);
        double a = 0.25 * (beta1 - beta0), b = 0.5 * beta0;
        return 2 * -logAlpha / (b + Math.Sqrt(b * b - 4 * a * logAlpha));   // root of a t^2 + b t + logAlpha = 0, stable form
    }

    public double Drift(double t) => -0.5 * (beta0 + t * (beta1 - beta0));

    public double DiffusionSquared(double t) => beta0 + t * (beta1 - beta0);
}

/// <summary>A variance-exploding schedule: alpha = 1, sigma = t on [0.002, 80] (EDM's range).</summary>
public sealed class VeSchedule : INoiseSchedule
{
    public double TMin => 0.002;
    public double TMax => 80;
    public int? TrainingSteps => null;
    public bool VariancePreserving => false;
    public double LogAlpha(double t) => 0;
    public double Sigma(double t) => t;
    public double TimeOfLambda(double lambda) => Math.Exp(-lambda);
    public double Drift(double t) => 0;
    public double DiffusionSquared(double t) => 2 * t;
}
