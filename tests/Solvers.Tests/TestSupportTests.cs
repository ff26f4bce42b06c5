using Pipeline.Tests.TestSupport;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>The oracle itself: if these fail, no solver test means anything.</summary>
public class TestSupportTests
{
    [Fact]
    public void ExactFlowMatchesTheClosedFormForOneGaussian()
    {
        // For N(mu, s^2 I) the flow is affine: x_t = alpha_t mu + r_t / r_s (x_s - alpha_s mu), r = sqrt(alpha^2 s^2 + sigma^2).
        var mixture = new GaussianMixture([1.0], [[0.7, -1.2, 0.3]], [0.4]);
        Pipeline.Schedules.INoiseSchedule schedule = new DiscreteLinearSchedule();
        using var gen = new Generator(3);
        using var x = randn([5, 3], float64, generator: gen);
        double t0 = 1, t1 = 1e-3;
        using var flowed = ExactFlow.Solve(mixture, schedule, x, t0, t1);
        double R(double t) => Math.Sqrt(Math.Pow(schedule.Alpha(t) * 0.4, 2) + Math.Pow(schedule.Sigma(t), 2));
        using var mu = tensor(new[] { 0.7, -1.2, 0.3 }, float64);
        using var expected = (x - mu * schedule.Alpha(t0)) * (R(t1) / R(t0)) + mu * schedule.Alpha(t1);
        Assert.True(Harness.Rmse(flowed, expected) < 1e-9, $"rmse {Harness.Rmse(flowed, expected)}");
    }

    [Fact]
    public void TensorEpsilonMatchesTheScalarOneAndX0IsConsistent()
    {
        var mixture = Harness.Mixture(4);
        using var gen = new Generator(5);
        using var x = randn([6, 4], float64, generator: gen);
        double alpha = 0.6, sigma = 0.8;
        var (eps, x0) = mixture.Predict(x, alpha, sigma);
        using (eps) using (x0)
        {
            var rows = x.data<double>().ToArray();
            var scalar = Enumerable.Range(0, 6).SelectMany(b => ExactFlow.Epsilon(mixture, rows[(b * 4)..(b * 4 + 4)], alpha, sigma)).ToArray();
            using var expected = tensor(scalar, [6, 4], float64);
            Assert.True(Harness.Rmse(eps, expected) < 1e-14);
            // x = alpha x0 + sigma eps holds for the posterior means too.
            using var rebuilt = x0 * alpha + eps * sigma;
            Assert.True(Harness.Rmse(rebuilt, x) < 1e-14);
        }
    }

    [Fact]
    public void SchedulesInvertLambda()
    {
        foreach (var schedule in new Pipeline.Schedules.INoiseSchedule[] { new DiscreteLinearSchedule(), new ContinuousVpLinearSchedule(), new VeSchedule() })
            foreach (double u in new[] { 0.0, 0.3, 0.77, 1.0 })
            {
                double t = schedule.TMin + u * (schedule.TMax - schedule.TMin);
                Assert.Equal(t, schedule.TimeOfLambda(schedule.Lambda(t)), 1e-9 * schedule.TMax);
            }
    }
}
