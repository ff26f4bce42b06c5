using Pipeline.Schedules;

namespace Pipeline.Tests;

/// <summary>
/// Continuous VP schedule with linear beta(t) = b0 + (b1 - b0) t (Song et al. 2021), all in closed form:
/// log alpha = -(b1 - b0) t^2 / 4 - b0 t / 2. Test-only, so these tests do not depend on plugins/Schedules.
/// </summary>
sealed class LinearVpSchedule(double betaMin = 0.1, double betaMax = 20, double tMin = 1e-3) : INoiseSchedule
{
    public double TMin => tMin;
    public double TMax => 1;
    public int? TrainingSteps => null;
    public bool VariancePreserving => true;

    public double LogAlpha(double t) => -(betaMax - betaMin) * t * t / 4 - betaMin * t / 2;

    public double Sigma(double t) => Math.Sqrt(-Numerics.Expm1(2 * LogAlpha(t)));

    public double TimeOfLambda(double lambda)
    {
        // alpha^2 = 1 / (1 + e^{-2 lambda}); solve (b1 - b0) t^2 / 2 + b0 t = log(1 + e^{-2 lambda}).
        double l = Numerics.Log1pExp(-2 * lambda);
        return 2 * l / (betaMin + Math.Sqrt(betaMin * betaMin + 2 * (betaMax - betaMin) * l));
    }
}

/// <summary>
/// Discrete VP schedule with betas = linspace(1e-4, 0.02, N) following the project convention: step i is
/// t = (i + 1) / N, log alpha is interpolated linearly in t, with log alpha = 0 at t = 0.
/// </summary>
sealed class DiscreteLinearSchedule : INoiseSchedule
{
    readonly double[] _logAlpha; // entry j: log alpha at t = j / N

    public DiscreteLinearSchedule(int steps = 1000, double betaStart = 1e-4, double betaEnd = 0.02)
    {
        N = steps;
        _logAlpha = new double[steps + 1];
        double sum = 0;
        for (int i = 0; i < steps; i++)
        {
            double beta = betaStart + (betaEnd - betaStart) * i / (steps - 1);
            sum += 0.5 * Math.Log(1 - beta);
            _logAlpha[i + 1] = sum;
        }
    }

    public int N { get; }
    public double TMin => 1.0 / N;
    public double TMax => 1;
    public int? TrainingSteps => N;
    public bool VariancePreserving => true;

    public double LogAlpha(double t)
    {
        double j = t * N;
        if (j <= 0) return 0;
        int lo = Math.Min((int)Math.Floor(j), N - 1);
        double frac = j - lo;
        return _logAlpha[lo] * (1 - frac) + _logAlpha[lo + 1] * frac;
    }

    public double Sigma(double t) => Math.Sqrt(-Numerics.Expm1(2 * LogAlpha(t)));

    public double TimeOfLambda(double lambda)
    {
        double target = -0.5 * Numerics.Log1pExp(-2 * lambda);
        // log alpha decreases with t: find the segment holding the target, then invert the linear piece.
        int lo = 0, hi = N;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (_logAlpha[mid] >= target) lo = mid; else hi = mid;
        }
        double frac = (target - _logAlpha[lo]) / (_logAlpha[hi] - _logAlpha[lo]);
        return (lo + Math.Clamp(frac, 0, 1)) / N;
    }
}

/// <summary>Rectified-flow schedule alpha = 1 - t, sigma = t (alpha + sigma = 1).</summary>
sealed class FlowSchedule : INoiseSchedule
{
    public double TMin => 1e-3;
    public double TMax => 0.999;
    public int? TrainingSteps => null;
    public bool VariancePreserving => false;
    public double LogAlpha(double t) => Math.Log(1 - t);
    public double Sigma(double t) => t;
    public double TimeOfLambda(double lambda) => 1 / (1 + Math.Exp(lambda));
}

static class Numerics
{
    /// <summary>e^x - 1 without cancellation (Kahan's trick).</summary>
    public static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        return um1 * x / Math.Log(u);
    }

    /// <summary>log(1 + e^x), stable for large |x|.</summary>
    public static double Log1pExp(double x) => x > 0 ? x + Log1p(Math.Exp(-x)) : Log1p(Math.Exp(x));

    /// <summary>log(1 + x) without cancellation (Kahan's trick).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}
