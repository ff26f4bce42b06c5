using Pipeline.Plugins.Models;
using Pipeline.Schedules;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests;

public class ExactProbabilityFlowTests(ITestOutputHelper output)
{
    static readonly INoiseSchedule Vp = new LinearVpSchedule();
    static readonly INoiseSchedule Discrete = new DiscreteLinearSchedule();

    /// <summary>
    /// For one Gaussian N(mu, diag(s^2)) the flow keeps (x_t - alpha_t mu) / sqrt(alpha_t^2 s^2 + sigma_t^2)
    /// constant (the marginal is Gaussian and the flow map is the affine transport between them).
    /// </summary>
    static Tensor SingleGaussianFlow(double[] mu, double[] s, INoiseSchedule schedule, Tensor x, double t0, double t1)
    {
        double a0 = t0 == 0 ? 1 : schedule.Alpha(t0), s0 = t0 == 0 ? 0 : schedule.Sigma(t0);
        double a1 = t1 == 0 ? 1 : schedule.Alpha(t1), s1 = t1 == 0 ? 0 : schedule.Sigma(t1);
        using var m = tensor(mu, float64);
        using var v = tensor(s, float64).Squared();
        using var scale0 = (v * (a0 * a0) + s0 * s0).sqrt();
        using var scale1 = (v * (a1 * a1) + s1 * s1).sqrt();
        return (x - m * a0) / scale0 * scale1 + m * a1;
    }

    [Theory]
    [InlineData(new[] { 0.5 }, 1.0, 1e-3)]
    [InlineData(new[] { 0.5 }, 1.0, 0.0)]
    [InlineData(new[] { 0.2, 1.5, 0.05 }, 1.0, 0.0)]
    [InlineData(new[] { 0.2, 1.5, 0.05 }, 0.7, 0.25)]
    [InlineData(new[] { 0.2, 1.5, 0.05 }, 0.0, 1.0)]
    public void SingleGaussianMatchesTheClosedFormOnContinuousVp(double[] std, double t0, double t1)
    {
        double[] mu = [1.0, -2.0, 0.5];
        double[] s = std.Length == 1 ? [std[0], std[0], std[0]] : std;
        using var gmm = new GaussianMixture([1], [mu], [std]);
        using var x = randn([64, 3], float64, generator: new Generator(1));
        using var start = t0 == 0 ? x * tensor(s, float64) + tensor(mu, float64) : x;
        var solution = ExactProbabilityFlow.SolveWithStatistics(gmm, Vp, start, t0, t1);
        using var result = solution.X;
        using var expected = SingleGaussianFlow(mu, s, Vp, start, t0, t1);
        // Relative to the solution's size: towards noise y = x / alpha grows like 1 / alpha.
        double error = (result - expected).abs().max().item<double>() / Math.Max(1, expected.abs().max().item<double>());
        output.WriteLine($"t {t0} -> {t1}: max relative error {error:E2}, {solution.Statistics}");
        Assert.True(error < 1e-10, $"max error {error}");
    }

    [Fact]
    public void SingleGaussianMatchesTheClosedFormOnTheDiscreteScheduleAtFractionalTimes()
    {
        double[] mu = [0.3, -1.0];
        double[] s = [0.4, 0.9];
        using var gmm = new GaussianMixture([1], [mu], [s]);
        using var x = randn([32, 2], float64, generator: new Generator(2));
        foreach (var (t0, t1) in new[] { (1.0, 0.0), (0.9876, 0.0123), (0.5005, 1.0 / 1000), (0.0015, 0.0) })
        {
            using var result = ExactProbabilityFlow.Solve(gmm, Discrete, x, t0, t1);
            using var expected = SingleGaussianFlow(mu, s, Discrete, x, t0, t1);
            Assert.True((result - expected).abs().max().item<double>() < 1e-10);
        }
    }

    [Fact]
    public void LabelledSamplesFollowTheirComponentsFlow()
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([4, 3], float64, generator: new Generator(3));
        using var labels = tensor(new long[] { 0, 1, 2, 1 });
        using var result = ExactProbabilityFlow.Solve(gmm, Vp, x, 1.0, 0.0, labels: labels);
        var l = labels.data<long>().ToArray();
        for (int i = 0; i < 4; i++)
        {
            int k = (int)l[i];
            using var expected = SingleGaussianFlow(gmm.Mean(k), gmm.Std(k), Vp, x[i].unsqueeze(0), 1.0, 0.0);
            Assert.True((result[i] - expected[0]).abs().max().item<double>() < 1e-10);
        }
    }

    [Fact]
    public void HalvingTheToleranceChangesAMixtureSolutionByLessThan1e9()
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([200, 3], float64, generator: new Generator(4));
        foreach (var (schedule, t1) in new[] { (Vp, 0.0), (Vp, Vp.TMin), (Discrete, Discrete.TMin) })
        {
            const double tolerance = ExactProbabilityFlow.DefaultTolerance;
            var coarse = ExactProbabilityFlow.SolveWithStatistics(gmm, schedule, x, 1.0, t1);
            var fine = ExactProbabilityFlow.SolveWithStatistics(gmm, schedule, x, 1.0, t1, tolerance / 2, tolerance / 2);
            double change = (coarse.X - fine.X).abs().max().item<double>();
            output.WriteLine($"{schedule.GetType().Name} -> {t1}: change {change:E2}; {coarse.Statistics} / {fine.Statistics}");
            Assert.True(change < 1e-9, $"change {change}");
            coarse.X.Dispose();
            fine.X.Dispose();
        }
    }

    [Fact]
    public void FlowThereAndBackRecoversTheStart()
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([100, 3], float64, generator: new Generator(5));
        using var data = ExactProbabilityFlow.Solve(gmm, Vp, x, 1.0, 0.0);
        using var back = ExactProbabilityFlow.Solve(gmm, Vp, data, 0.0, 1.0);
        double error = (back - x).abs().max().item<double>();
        output.WriteLine($"round trip error {error:E2}");
        Assert.True(error < 1e-9, $"round trip error {error}");
    }

    [Fact]
    public void StandardNormalNoiseIsCarriedToTheMixture()
    {
        // 8-D, three components; x_T ~ N(0, I) is p_T up to alpha_T = 0.0064, so the flow's image at TMin
        // must have the mixture's moments and component frequencies (tolerances: a few standard errors plus that mismatch).
        double[][] means = [[-2, 0, 1, 0, 2, -1, 0, 1], [1.5, 1.5, -0.5, 1, -1, 0, 2, 0], [1, -2, 0, -1.5, 0, 1, -1, -2]];
        using var gmm = new GaussianMixture([0.5, 0.3, 0.2], means, [[0.5], [0.3, 0.8, 0.6, 0.4, 0.5, 0.7, 0.3, 0.6], [0.4]], [2, 4]);
        const int n = 1000;
        using var x = randn([n, 2, 4], float64, generator: new Generator(6));
        var start = DateTime.UtcNow;
        var solution = ExactProbabilityFlow.SolveWithStatistics(gmm, Vp, x, 1.0, Vp.TMin);
        output.WriteLine($"{n} x 8: {(DateTime.UtcNow - start).TotalSeconds:F2} s, {solution.Statistics}");
        using var result = solution.X;
        Assert.Equal([(long)n, 2L, 4L], result.shape);
        Assert.Equal(ScalarType.Float64, result.dtype);

        double a = Vp.Alpha(Vp.TMin), s = Vp.Sigma(Vp.TMin);
        var mean = gmm.Mean();
        var variance = gmm.Variance();
        using var flat = result.reshape(n, 8);
        using var sampleMean = flat.mean([0]);
        using var sampleVar = flat.var(0);
        for (int d = 0; d < 8; d++)
        {
            double m = a * mean[d], v = a * a * variance[d] + s * s;
            Assert.InRange(sampleMean[d].item<double>(), m - 5 * Math.Sqrt(v / n) - 0.02, m + 5 * Math.Sqrt(v / n) + 0.02);
            Assert.InRange(sampleVar[d].item<double>() / v, 0.8, 1.2);
        }
        using var r = gmm.Responsibilities(result, a, s);
        using var counts = r.argmax(1).bincount(null, 3);
        for (int k = 0; k < 3; k++)
        {
            double w = gmm.Weights[k], f = counts[k].item<long>() / (double)n;
            Assert.InRange(f, w - 5 * Math.Sqrt(w * (1 - w) / n) - 0.01, w + 5 * Math.Sqrt(w * (1 - w) / n) + 0.01);
        }
    }

    [Fact]
    public void EqualTimesReturnACopy()
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([3, 3], float32, generator: new Generator(7));
        using var result = ExactProbabilityFlow.Solve(gmm, Vp, x, 0.5, 0.5);
        Assert.Equal(ScalarType.Float64, result.dtype);
        Assert.True(result.allclose(x.to_type(float64), rtol: 0, atol: 1e-15));
    }
}
