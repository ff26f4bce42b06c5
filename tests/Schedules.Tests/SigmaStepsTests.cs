using Pipeline.Options;
using Pipeline.Plugins.Schedules;

namespace Pipeline.Tests;

public class SigmaStepsTests
{
    static double Ratio(Pipeline.Schedules.INoiseSchedule s, double t) => s.Sigma(t) / s.Alpha(t);

    [Fact]
    public void KarrasFollowsEquationFiveOnEdm()
    {
        var times = new KarrasSigmas(new KarrasOptions { Steps = 5 }).Times(Make.Edm());
        Assert.Equal(6, times.Length);
        // Karras et al. eq. (5) with sigma_min 0.002, sigma_max 80, rho 7, N = 6 levels.
        for (int i = 0; i < 6; i++)
        {
            double expected = Math.Pow(Math.Pow(80, 1 / 7.0) + i / 5.0 * (Math.Pow(0.002, 1 / 7.0) - Math.Pow(80, 1 / 7.0)), 7);
            Make.Close(expected, times[i], 1e-12, $"sigma {i}");
        }
        Assert.Equal(80.0, times[0]);
        Assert.Equal(0.002, times[^1]);
    }

    [Fact]
    public void KarrasToZeroEndsAtCleanDataLikeKDiffusion()
    {
        // k-diffusion get_sigmas_karras(n=4, ...) gives 4 levels then 0: steps = 4 intervals, 5 times.
        var times = new KarrasSigmas(new KarrasOptions { Steps = 4, ToZero = true, SigmaMin = 0.1, SigmaMax = 10, Rho = 3 }).Times(Make.Edm());
        Assert.Equal(5, times.Length);
        Assert.Equal(0.0, times[^1]);
        Make.Close(0.1, times[3], 1e-14);
        Make.Close(Math.Pow(Math.Pow(10, 1 / 3.0) + 1 / 3.0 * (Math.Pow(0.1, 1 / 3.0) - Math.Pow(10, 1 / 3.0)), 3), times[1], 1e-13);
    }

    [Fact]
    public void KarrasOnDiscreteScheduleUsesTheNoiseRatio()
    {
        var s = Make.ScaledLinear();
        var times = new KarrasSigmas(new KarrasOptions { Steps = 10 }).Times(s);
        Assert.Equal(1.0, times[0]);
        Assert.Equal(1e-3, times[^1]);
        // Default ends are diffusers' use_karras_sigmas ends: sqrt((1 - abar) / abar) at steps N-1 and 0.
        double max = Math.Sqrt((1 - s.AlphasCumprod[999]) / s.AlphasCumprod[999]);
        double min = Math.Sqrt((1 - s.AlphasCumprod[0]) / s.AlphasCumprod[0]);
        for (int i = 0; i <= 10; i++)
        {
            double expected = Math.Pow(Math.Pow(max, 1 / 7.0) + i / 10.0 * (Math.Pow(min, 1 / 7.0) - Math.Pow(max, 1 / 7.0)), 7);
            Make.Close(expected, Ratio(s, times[i]), 1e-10, $"noise ratio {i}");
        }
    }

    [Fact]
    public void ExponentialIsLogSnrUniform()
    {
        var s = Make.Cosine();
        var exp = new ExponentialSigmas(new SigmaRangeOptions { Steps = 9 }).Times(s);
        var snr = new LogSnrUniform(new TimeRangeOptions { Steps = 9 }).Times(s);
        for (int i = 0; i < exp.Length; i++) Make.Close(snr[i], exp[i], 1e-10, $"t[{i}]");
        double h = Math.Log(Ratio(s, exp[1]) / Ratio(s, exp[0]));
        for (int i = 1; i < exp.Length; i++) Make.Close(h, Math.Log(Ratio(s, exp[i]) / Ratio(s, exp[i - 1])), 1e-9, $"log step {i}");
    }

    [Fact]
    public void BadInputsNameTheOption()
    {
        Assert.Contains("'steps'", Assert.Throws<PipelineInputException>(
            () => new KarrasSigmas(new KarrasOptions { Steps = -3 })).Message);
        Assert.Contains("'rho'", Assert.Throws<PipelineInputException>(
            () => new KarrasSigmas(new KarrasOptions { Rho = 0 })).Message);
        Assert.Contains("'sigmaMax'", Assert.Throws<PipelineInputException>(
            () => new ExponentialSigmas(new SigmaRangeOptions { SigmaMin = 5, SigmaMax = 1 })).Message);
        // sigmaMax above the schedule's range maps past tMax.
        Assert.Contains("'sigmaMax'", Assert.Throws<PipelineInputException>(
            () => new KarrasSigmas(new KarrasOptions { SigmaMax = 500 }).Times(Make.Edm())).Message);
    }
}
