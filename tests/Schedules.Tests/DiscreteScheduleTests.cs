using Pipeline.Options;
using Pipeline.Plugins.Schedules;
using Pipeline.Schedules;

namespace Pipeline.Tests;

public class DiscreteScheduleTests
{
    // alphas_cumprod straight from the definition: prod_{j<=i} (1 - beta_j) with beta from linspace.
    static double[] CumprodOfLinspace(double b0, double b1, int n, bool squareRoots)
    {
        var acp = new double[n];
        double p = 1;
        for (int i = 0; i < n; i++)
        {
            double beta = squareRoots
                ? Math.Pow(Math.Sqrt(b0) + (Math.Sqrt(b1) - Math.Sqrt(b0)) * i / (n - 1), 2)
                : b0 + (b1 - b0) * i / (n - 1);
            p *= 1 - beta;
            acp[i] = p;
        }
        return acp;
    }

    [Fact]
    public void LinearBetasGiveTheProductOfOneMinusLinspace()
    {
        var s = Make.Linear();
        var expected = CumprodOfLinspace(1e-4, 0.02, 1000, squareRoots: false);
        foreach (int i in new[] { 0, 1, 9, 250, 499, 998, 999 })
            Make.Close(expected[i], s.AlphasCumprod[i], 1e-12, $"alphas_cumprod[{i}]");
        // np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))[[0, 9, 499, 999]]
        Make.Close(0.9999, s.AlphasCumprod[0], 1e-14);
        Make.Close(0.9981052047858344, s.AlphasCumprod[9], 1e-13);
        Make.Close(0.07858724288177824, s.AlphasCumprod[499], 1e-13);
        Make.Close(4.035829765375676e-05, s.AlphasCumprod[999], 1e-13);
        Assert.Equal(1000, s.TrainingSteps);
        Assert.Equal(1e-3, s.TMin);
        Assert.Equal(1.0, s.TMax);
        Assert.True(s.VariancePreserving);
    }

    [Fact]
    public void ScaledLinearSquaresALinspaceOfSquareRoots()
    {
        var s = Make.ScaledLinear();
        var expected = CumprodOfLinspace(0.00085, 0.012, 1000, squareRoots: true);
        foreach (int i in new[] { 0, 3, 499, 999 })
            Make.Close(expected[i], s.AlphasCumprod[i], 1e-12, $"alphas_cumprod[{i}]");
        // np.cumprod(1 - np.linspace(0.00085**0.5, 0.012**0.5, 1000)**2)[[0, 499, 999]]
        Make.Close(0.27766965045646763, s.AlphasCumprod[499], 1e-13);
        Make.Close(0.004660098513077238, s.AlphasCumprod[999], 1e-13);
    }

    [Fact]
    public void CosineFollowsImprovedDdpmAlphaBarUntilTheCap()
    {
        const int n = 1000;
        var s = Make.Cosine(n);
        static double F(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        // Nichol and Dhariwal eq. (17): alpha_bar_t = f(t) / f(0); uncapped betas telescope to exactly that.
        foreach (int i in new[] { 0, 10, 500, 900, 990 })
            Make.Close(F((i + 1.0) / n) / F(0), s.AlphasCumprod[i], 1e-12, $"alpha_bar[{i}]");
        Assert.Equal(0.999, s.Betas[n - 1], 15);
        Assert.True(s.Betas[n - 2] < 0.999);
        // np.cumprod of the capped betas at index 999
        Make.Close(2.4287669070348567e-09, s.AlphasCumprod[n - 1], 1e-12);
    }

    [Fact]
    public void LogAlphaIsInterpolatedLinearlyInTimeBetweenTrainingSteps()
    {
        const int n = 1000;
        var s = Make.Linear(n);
        double LogA(int i) => 0.5 * Math.Log(s.AlphasCumprod[i]);
        // On the grid: step i is t = (i + 1) / N.
        foreach (int i in new[] { 0, 1, 500, 999 })
        {
            double t = (i + 1.0) / n;
            Make.Close(LogA(i), s.LogAlpha(t), 1e-13, $"log alpha at step {i}");
            Make.Close(Math.Sqrt(1 - s.AlphasCumprod[i]), s.Sigma(t), 1e-12, $"sigma at step {i}");
            Assert.Equal((i + 1.0) / n, s.TimeOfStep(i));
        }
        // 30% of the way from step 41 to step 42.
        double tf = (42 + 0.3) / n;
        Make.Close(0.7 * LogA(41) + 0.3 * LogA(42), s.LogAlpha(tf), 1e-13, "fractional step");
        // Between clean data (t = 0, log alpha = 0) and step 0.
        Make.Close(0.25 * LogA(0), s.LogAlpha(0.25 / n), 1e-15, "below step 0");
    }

    [Fact]
    public void CleanDataAtTimeZero()
    {
        var s = (INoiseSchedule)Make.Linear();
        Assert.Equal(1.0, s.Alpha(0));
        Assert.Equal(0.0, s.Sigma(0));
        Assert.Equal(double.PositiveInfinity, s.Lambda(0));
        Assert.Equal(0.0, s.TimeOfLambda(double.PositiveInfinity));
        Assert.Equal(0.0, s.TimeOfNoiseRatio(0));
    }

    [Fact]
    public void SigmaIsAccurateWhereAlphaIsNearlyOne()
    {
        var s = Make.Linear();
        // t = 1e-7: log alpha = 1e-4 * 0.5 log(1 - 1e-4); 1 - alpha^2 ~ 1e-8 would lose half its digits by subtraction.
        double la = 1e-4 * 0.5 * Math.Log(1 - 1e-4);
        double expected = Math.Sqrt(-(2 * la + 2 * la * la + 4.0 / 3 * la * la * la));
        Make.Close(expected, s.Sigma(1e-7), 1e-12, "sigma at 1e-7");
    }

    [Fact]
    public void DriftIsTheSlopeOfTheSegmentBelowAKnot()
    {
        const int n = 20;
        var s = Make.Linear(n);
        double LogA(int i) => 0.5 * Math.Log(s.AlphasCumprod[i]);
        // Knot t = 5/20 is step 4; the segment below it runs from step 3 to step 4.
        Make.Close(n * (LogA(4) - LogA(3)), s.Drift(5.0 / n), 1e-12, "drift at a knot");
        Make.Close(n * (LogA(5) - LogA(4)), s.Drift(5.5 / n), 1e-12, "drift inside the next segment");
        Make.Close(n * LogA(0), s.Drift(0.5 / n), 1e-12, "drift below step 0");
    }

    [Fact]
    public void ExplicitBetasAreUsedAsGiven()
    {
        double[] betas = [0.1, 0.2, 0.3];
        var s = new DiscreteSchedule(new DiscreteScheduleOptions { Betas = betas });
        Assert.Equal(3, s.TrainingSteps);
        Make.Close(0.9 * 0.8 * 0.7, s.AlphasCumprod[2], 1e-15);
        Make.Close(0.5 * Math.Log(0.9 * 0.8), s.LogAlpha(2.0 / 3), 1e-15);
    }

    [Theory]
    [InlineData("betas")]
    [InlineData("trainingSteps")]
    [InlineData("betaStart")]
    [InlineData("maxBeta")]
    public void BadOptionsNameTheOption(string option)
    {
        var o = option switch
        {
            "betas" => new DiscreteScheduleOptions { Betas = [0.1, 1.0] },
            "trainingSteps" => new DiscreteScheduleOptions { Betas = [0.1, 0.2], TrainingSteps = 1000 },
            "betaStart" => new DiscreteScheduleOptions { BetaStart = 0 },
            _ => new DiscreteScheduleOptions { MaxBeta = 1.5 },
        };
        var e = Assert.Throws<PipelineInputException>(() => new DiscreteSchedule(o));
        Assert.Contains($"'{option}'", e.Message);
    }
}
