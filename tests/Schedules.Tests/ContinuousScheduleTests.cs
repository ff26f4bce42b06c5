using Pipeline.Options;
using Pipeline.Plugins.Schedules;

namespace Pipeline.Tests;

public class ContinuousScheduleTests
{
    [Fact]
    public void VpLinearClosedForms()
    {
        var s = Make.Vp();
        const double b0 = 0.1, b1 = 20;
        foreach (double t in new[] { 1e-3, 0.3, 1.0 })
        {
            // Song et al. 2021 eq. (29): mean coefficient exp(-t^2 (b1 - b0) / 4 - t b0 / 2).
            double la = -t * t * (b1 - b0) / 4 - t * b0 / 2;
            Make.Close(la, s.LogAlpha(t), 1e-15, $"log alpha {t}");
            Make.Close(Math.Sqrt(1 - Math.Exp(2 * la)), s.Sigma(t), 1e-12, $"sigma {t}");
            Make.Close(-(b0 + t * (b1 - b0)) / 2, s.Drift(t), 1e-15, $"f {t}");
            Make.Close(b0 + t * (b1 - b0), s.DiffusionSquared(t), 1e-15, $"g^2 {t}");
        }
        // la(0.3) = -0.46275 and sigma(0.3) from numpy: sqrt(1 - exp(2 la))
        Make.Close(0.7769599713475445, s.Sigma(0.3), 1e-14);
        Assert.Null(s.TrainingSteps);
        Assert.Equal(1e-3, s.TMin);
        Assert.True(s.VariancePreserving);
    }

    [Fact]
    public void VpLinearInverseSolvesTheQuadratic()
    {
        var s = Make.Vp();
        // lambda of t = 0.5 computed by hand: la = -0.25 * 0.25 * 19.9 - 0.025.
        double la = -0.25 * 0.25 * 19.9 - 0.025;
        double lambda = la - 0.5 * Math.Log(1 - Math.Exp(2 * la));
        Make.Close(0.5, s.TimeOfLambda(lambda), 1e-13);
    }

    [Fact]
    public void VeIsGeometricInSigma()
    {
        var s = Make.Ve();
        Make.Close(0.01 * Math.Pow(5000, 0.4), s.Sigma(0.4), 1e-13);
        Make.Close(50, s.Sigma(1), 1e-13);
        Assert.Equal(1.0, s.Alpha(0.7));
        Assert.Equal(0.0, s.Drift(0.3));
        Make.Close(2 * Math.Pow(s.Sigma(0.3), 2) * Math.Log(5000), s.DiffusionSquared(0.3), 1e-13);
        Assert.False(s.VariancePreserving);
        Assert.Equal(1e-5, s.TMin);
    }

    [Fact]
    public void EdmTimeIsSigma()
    {
        var s = Make.Edm();
        Assert.Equal(0.002, s.TMin);
        Assert.Equal(80, s.TMax);
        Assert.Equal(3.5, s.Sigma(3.5));
        Assert.Equal(3.5, s.TimeOfNoiseRatio(3.5));
        Make.Close(-Math.Log(3.5), s.Lambda(3.5), 1e-15);
        Assert.Equal(7.0, s.DiffusionSquared(3.5));
    }

    [Fact]
    public void BadOptionsNameTheOption()
    {
        Assert.Contains("'betaMax'", Assert.Throws<PipelineInputException>(
            () => new VpLinearSchedule(new VpLinearScheduleOptions { BetaMin = 5, BetaMax = 1 })).Message);
        Assert.Contains("'tMin'", Assert.Throws<PipelineInputException>(
            () => new VpLinearSchedule(new VpLinearScheduleOptions { TMin = 0 })).Message);
        Assert.Contains("'sigmaMax'", Assert.Throws<PipelineInputException>(
            () => new VeSchedule(new VeScheduleOptions { SigmaMax = 0.001 })).Message);
        Assert.Contains("'sigmaMin'", Assert.Throws<PipelineInputException>(
            () => new EdmSchedule(new EdmScheduleOptions { SigmaMin = -1 })).Message);
    }
}
