using Pipeline.Schedules;

namespace Pipeline.Tests;

/// <summary>The spread of x_T at a run's first time (INoiseSchedule.PriorStd), the one rule every run draws x_T by.</summary>
public class PriorStdTests
{
    [Theory]
    [InlineData("linear")]
    [InlineData("cosine")]
    [InlineData("vp-linear")]
    public void IsExactlyOneOnVariancePreservingSchedules(string name)
    {
        var s = Make.All[name]();
        foreach (double t in new[] { s.TMin, 0.3, 0.5, s.TMax })
            Assert.Equal(1.0, s.PriorStd(t));
    }

    [Theory]
    [InlineData("ve", 1.0, 50.0)]
    [InlineData("edm", 80.0, 80.0)]
    [InlineData("edm", 10.0, 10.0)]
    public void IsSigmaWhereAlphaIsOne(string name, double t, double sigma)
    {
        // score-SDE prior_sampling (randn * sigma_max), EDM (latents * t_steps[0]), k-diffusion (randn * sigmas[0]).
        Assert.Equal(sigma, Make.All[name]().PriorStd(t), 12);
    }

    /// <summary>A schedule neither VP nor alpha = 1 (here sub-VP-like): the marginal spread for data of unit scale.</summary>
    [Fact]
    public void IsTheUnitDataMarginalSpreadOtherwise()
    {
        INoiseSchedule s = new Scaled();
        foreach (double t in new[] { 0.1, 0.5, 1.0 })
            Assert.Equal(Math.Sqrt(s.Alpha(t) * s.Alpha(t) + s.Sigma(t) * s.Sigma(t)), s.PriorStd(t), 14);
        Assert.Equal(Math.Sqrt(0.25 + 4), s.PriorStd(1.0), 14);
    }

    sealed class Scaled : INoiseSchedule
    {
        public double TMin => 1e-3;
        public double TMax => 1;
        public int? TrainingSteps => null;
        public bool VariancePreserving => false;
        public double LogAlpha(double t) => Math.Log(1 - 0.5 * t);
        public double Sigma(double t) => 2 * t;
        public double TimeOfLambda(double lambda) => throw new NotSupportedException();
    }
}
