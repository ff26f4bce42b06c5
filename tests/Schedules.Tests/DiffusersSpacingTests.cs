using Pipeline.Options;
using Pipeline.Plugins.Schedules;

namespace Pipeline.Tests;

/// <summary>
/// Index lists computed with NumPy from the diffusers set_timesteps rules (the expression is above each case), so a
/// pipeline ported from Python visits the same training steps.
/// </summary>
public class DiffusersSpacingTests
{
    static long[] Indices(string rule, int n, int steps, SpacingVariant variant = SpacingVariant.Ddim, int offset = 0, double? clip = null,
        DiscreteSchedule? schedule = null)
    {
        var o = new SpacingOptions { Steps = steps, StepsOffset = offset, Variant = variant, LambdaMinClipped = clip };
        DiffusersSpacing spacing = rule switch
        {
            "linspace" => new LinspaceSpacing(o),
            "leading" => new LeadingSpacing(o),
            _ => new TrailingSpacing(o),
        };
        return spacing.Indices(schedule ?? Make.Linear(n));
    }

    // DDIMScheduler: np.linspace(0, N-1, steps).round()[::-1]
    [Theory]
    [InlineData(1000, 10, new long[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 })]
    [InlineData(1000, 3, new long[] { 999, 500, 0 })]
    // 166.5 and 832.5 round half to even, as np.round does.
    [InlineData(1000, 7, new long[] { 999, 832, 666, 500, 333, 166, 0 })]
    [InlineData(100, 7, new long[] { 99, 82, 66, 50, 33, 16, 0 })]
    public void DdimLinspace(int n, int steps, long[] expected) => Assert.Equal(expected, Indices("linspace", n, steps));

    // DDIMScheduler: (np.arange(0, steps) * (N // steps)).round()[::-1] + steps_offset
    [Theory]
    [InlineData(1000, 10, 0, new long[] { 900, 800, 700, 600, 500, 400, 300, 200, 100, 0 })]
    [InlineData(1000, 7, 0, new long[] { 852, 710, 568, 426, 284, 142, 0 })]
    [InlineData(1000, 4, 1, new long[] { 751, 501, 251, 1 })]
    [InlineData(100, 7, 0, new long[] { 84, 70, 56, 42, 28, 14, 0 })]
    public void DdimLeading(int n, int steps, int offset, long[] expected) => Assert.Equal(expected, Indices("leading", n, steps, offset: offset));

    // DDIMScheduler: np.round(np.arange(N, 0, -N / steps)) - 1
    [Theory]
    [InlineData(1000, 10, new long[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData(1000, 3, new long[] { 999, 666, 332 })]
    [InlineData(1000, 7, new long[] { 999, 856, 713, 570, 428, 285, 142 })]
    [InlineData(100, 7, new long[] { 99, 85, 70, 56, 42, 28, 13 })]
    public void DdimTrailing(int n, int steps, long[] expected) => Assert.Equal(expected, Indices("trailing", n, steps));

    // DPMSolverMultistepScheduler: np.linspace(0, N-1, steps+1).round()[::-1][:-1]
    //                              (np.arange(0, steps+1) * (N // (steps+1))).round()[::-1][:-1] + steps_offset
    [Theory]
    [InlineData("linspace", 1000, 10, new long[] { 999, 899, 799, 699, 599, 500, 400, 300, 200, 100 })]
    [InlineData("linspace", 1000, 6, new long[] { 999, 832, 666, 500, 333, 166 })]
    [InlineData("leading", 1000, 10, new long[] { 900, 810, 720, 630, 540, 450, 360, 270, 180, 90 })]
    [InlineData("leading", 1000, 7, new long[] { 875, 750, 625, 500, 375, 250, 125 })]
    [InlineData("trailing", 1000, 7, new long[] { 999, 856, 713, 570, 428, 285, 142 })]
    public void DpmSolverMultistep(string rule, int n, int steps, long[] expected) =>
        Assert.Equal(expected, Indices(rule, n, steps, SpacingVariant.DpmSolverMultistep));

    // Cosine betas with lambda_min_clipped = -5.1: np.searchsorted(np.flip(lambda_t), -5.1) = 4, so last_timestep = 996.
    [Theory]
    [InlineData("linspace", 0, new long[] { 995, 896, 796, 696, 597, 498, 398, 298, 199, 100 })]
    [InlineData("leading", 1, new long[] { 901, 811, 721, 631, 541, 451, 361, 271, 181, 91 })]
    [InlineData("trailing", 0, new long[] { 995, 895, 795, 695, 595, 495, 395, 295, 195, 95 })]
    public void DpmSolverMultistepClipsLowLambda(string rule, int offset, long[] expected) =>
        Assert.Equal(expected, Indices(rule, 1000, 10, SpacingVariant.DpmSolverMultistep, offset, -5.1, Make.Cosine()));

    [Fact]
    public void TimesAreIndexPlusOneOverNThenTheFinalTarget()
    {
        var s = Make.Linear(1000);
        var toOne = new LeadingSpacing(new SpacingOptions { Steps = 4, StepsOffset = 1 }).Times(s);
        Assert.Equal([0.752, 0.502, 0.252, 0.002, 0.0], toOne);
        var toStepZero = new LeadingSpacing(new SpacingOptions { Steps = 4, StepsOffset = 1, SetAlphaToOne = false }).Times(s);
        Assert.Equal([0.752, 0.502, 0.252, 0.002, 0.001], toStepZero);
        // The final target matches diffusers' final alpha_cumprod: 1 or alphas_cumprod[0].
        Assert.Equal(1.0, s.Alpha(toOne[^1]));
        Make.Close(s.AlphasCumprod[0], Math.Pow(s.Alpha(toStepZero[^1]), 2), 1e-15);
    }

    [Fact]
    public void TrailingOvershootOfNumPyArangeIsRejected()
    {
        // len(np.arange(1000, 0, -1000 / 61)) == 62 and its last rounded entry gives index -1.
        Assert.Equal(62, NumPy.Arange(1000, 0, -1000.0 / 61).Length);
        var e = Assert.Throws<PipelineInputException>(() => Indices("trailing", 1000, 61));
        Assert.Contains("'steps'", e.Message);
        Assert.Equal(60, Indices("trailing", 1000, 60).Length);
    }

    [Fact]
    public void MoreStepsThanTrainingStepsIsRejected()
    {
        foreach (var rule in new[] { "linspace", "leading" })
            Assert.Contains("'steps'", Assert.Throws<PipelineInputException>(() => Indices(rule, 20, 30)).Message);
    }

    [Fact]
    public void ContinuousSchedulesAreRejected()
    {
        var e = Assert.Throws<PipelineInputException>(() => new LinspaceSpacing(new SpacingOptions()).Times(Make.Vp()));
        Assert.Contains("discrete", e.Message);
        Assert.Throws<PipelineInputException>(() => new TrailingSpacing(new SpacingOptions()).Times(Make.Edm()));
    }

    [Fact]
    public void ZeroLengthFinalStepIsRejected()
    {
        // Leading without offset ends on step 0; a final target of step 0 would be a step of length zero.
        var e = Assert.Throws<PipelineInputException>(
            () => new LeadingSpacing(new SpacingOptions { Steps = 5, SetAlphaToOne = false }).Times(Make.Linear()));
        Assert.Contains("'setAlphaToOne'", e.Message);
    }

    [Fact]
    public void BadOptionsNameTheOption()
    {
        Assert.Contains("'steps'", Assert.Throws<PipelineInputException>(
            () => new LinspaceSpacing(new SpacingOptions { Steps = 0 })).Message);
        Assert.Contains("'lambdaMinClipped'", Assert.Throws<PipelineInputException>(
            () => new LinspaceSpacing(new SpacingOptions { LambdaMinClipped = -5.1 })).Message);
        Assert.Contains("'stepsOffset'", Assert.Throws<PipelineInputException>(
            () => new LeadingSpacing(new SpacingOptions { Steps = 10, StepsOffset = 150 }).Times(Make.Linear())).Message);
    }
}
