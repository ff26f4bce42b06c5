using Pipeline.Schedules;

namespace Pipeline.Tests;

/// <summary>Properties every noise schedule must have, checked on each of them.</summary>
public class NoiseScheduleLawsTests
{
    static IEnumerable<double> Times(INoiseSchedule s, int count = 400)
    {
        // Log-spaced from below tMin to tMax, plus knots and points between them for discrete schedules.
        double lo = s.TMin * 0.05, hi = s.TMax;
        for (int i = 0; i <= count; i++) yield return lo * Math.Pow(hi / lo, i / (double)count);
        if (s.TrainingSteps is int n)
            for (int i = 0; i < n; i += Math.Max(1, n / 50))
            {
                yield return (i + 1.0) / n;
                yield return (i + 0.37) / n;
            }
    }

    [Theory, MemberData(nameof(Make.Names), MemberType = typeof(Make))]
    public void TimeOfLambdaInvertsLambda(string name)
    {
        var s = Make.All[name]();
        foreach (double t in Times(s))
        {
            double back = s.TimeOfLambda(s.Lambda(t));
            Make.Close(t, back, 1e-10, $"{name}: t -> lambda -> t at {t}");
            Make.Close(t, s.TimeOfNoiseRatio(s.Sigma(t) / s.Alpha(t)), 1e-10, $"{name}: t -> sigma/alpha -> t at {t}");
        }
    }

    [Theory, MemberData(nameof(Make.Names), MemberType = typeof(Make))]
    public void LambdaDecreasesAndTheEndsAreOrdered(string name)
    {
        var s = Make.All[name]();
        Assert.True(0 < s.TMin && s.TMin < s.TMax);
        double previous = double.PositiveInfinity;
        foreach (double t in Times(s).Distinct().Order())
        {
            double l = s.Lambda(t);
            Assert.True(l < previous, $"{name}: lambda not decreasing at {t}");
            previous = l;
        }
    }

    [Theory, MemberData(nameof(Make.Names), MemberType = typeof(Make))]
    public void TimeZeroIsCleanData(string name)
    {
        var s = Make.All[name]();
        Assert.Equal(1.0, s.Alpha(0));
        Assert.Equal(0.0, s.LogAlpha(0));
        Assert.Equal(0.0, s.Sigma(0));
        Assert.Equal(double.PositiveInfinity, s.Lambda(0));
        Assert.Equal(0.0, s.TimeOfLambda(double.PositiveInfinity));
    }

    [Theory, MemberData(nameof(Make.Names), MemberType = typeof(Make))]
    public void VariancePreservingSchedulesKeepUnitVariance(string name)
    {
        var s = Make.All[name]();
        foreach (double t in Times(s))
        {
            double a = s.Alpha(t), sg = s.Sigma(t);
            if (s.VariancePreserving) Make.Close(1.0, a * a + sg * sg, 1e-14, $"{name} at {t}");
            else Assert.Equal(1.0, a);
        }
    }

    [Theory, MemberData(nameof(Make.Names), MemberType = typeof(Make))]
    public void DriftAndDiffusionMatchFiniteDifferences(string name)
    {
        var s = Make.All[name]();
        foreach (double t0 in Times(s, 60))
        {
            double t = t0;
            if (s.TrainingSteps is int n) t = (Math.Floor(t0 * n) + 0.5) / n; // the middle of a segment, away from kinks
            if (t < s.TMin * 0.05) continue;
            double h = 1e-5 * Math.Min(t, s.TrainingSteps is int m ? 0.5 / m : 1.0);
            double Ln(double x) => s.LogAlpha(x);
            double S2(double x) => s.Sigma(x) * s.Sigma(x);
            double f = (Ln(t + h) - Ln(t - h)) / (2 * h);
            double g2 = (S2(t + h) - S2(t - h)) / (2 * h) - 2 * f * S2(t);
            Make.Close(f, s.Drift(t), 1e-6, $"{name}: drift at {t}");
            Assert.True(Math.Abs(g2 - s.DiffusionSquared(t)) <= 1e-6 * Math.Max(1.0, Math.Abs(g2)) + 1e-9,
                $"{name}: g^2 at {t}: finite difference {g2}, closed form {s.DiffusionSquared(t)}");
        }
    }
}
