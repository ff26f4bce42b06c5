using Pipeline.Plugins.Models;
using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Dpm;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Dpm;

/// <summary>
/// sde-dpm-solver++ started from the exact marginal at t = 1 must reproduce a well-separated 2-D mixture: per-dimension
/// mean and variance and the component frequencies within 5 standard errors of the sample size; and its first order is
/// DDIM with eta = 1 step for step.
/// </summary>
public class SdeDpmSolverTests(ITestOutputHelper output)
{
    const int N = 4000;
    const double Z = 5;

    static readonly Lazy<GaussianMixtureModel> Separated = new(() => new GaussianMixtureModel(new GaussianMixtureOptions
    {
        Weights = [0.5, 0.3, 0.2], Means = [[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]], Stds = [[0.3], [0.5], [0.4]],
    }));

    static readonly INoiseSchedule Schedule = Dpm.DiscreteLinear();

    static ISolver Sde(int order, DpmSolverType type = DpmSolverType.Midpoint, bool denoise = false) =>
        new SdeDpmSolverPlusPlus(new SdeDpmSolverPlusPlusOptions { Order = order, SolverType = type, DenoiseToZero = denoise });

    /// <summary>x_T ~ p_1: alpha x_0 + sigma z with x_0 from the mixture.</summary>
    static Tensor MarginalAtOne(long seed)
    {
        using var gen = new Generator((ulong)seed);
        var (x0, components) = Separated.Value.Mixture.Sample(N, gen);
        using (x0) using (components)
        using (var z = randn([N, 2], float64, generator: gen))
            return (x0 * Schedule.Alpha(1)).add_(z * Schedule.Sigma(1));
    }

    [Theory]
    [InlineData(2, DpmSolverType.Midpoint, 50)]
    [InlineData(2, DpmSolverType.Heun, 50)]
    [InlineData(1, DpmSolverType.Midpoint, 200)]
    public void ReproducesTheMixture(int order, DpmSolverType type, int steps)
    {
        var mixture = Separated.Value.Mixture;
        var times = Dpm.UniformTimes(Schedule, 1, 0, steps);
        using var xT = MarginalAtOne(17);
        using var noise = new BatchNoise(23);
        var (x, model) = Dpm.Run(Sde(order, type), Separated.Value, Schedule, xT, times, noise);
        using (x)
        {
            Assert.Equal(steps, model.Evaluations);
            var values = x.data<double>().ToArray();
            double[] mean = mixture.Mean(), variance = mixture.Variance();
            for (int d = 0; d < 2; d++)
            {
                var column = Enumerable.Range(0, N).Select(i => values[i * 2 + d]).ToArray();
                double m = column.Average(), v = column.Sum(c => (c - m) * (c - m)) / (N - 1);
                double fourth = FourthCentralMoment(d);
                double meanTol = Z * Math.Sqrt(variance[d] / N), varTol = Z * Math.Sqrt((fourth - variance[d] * variance[d]) / N);
                output.WriteLine($"dim {d}: mean {m:F4} vs {mean[d]:F4} (tol {meanTol:F4}), variance {v:F4} vs {variance[d]:F4} (tol {varTol:F4})");
                Assert.True(Math.Abs(m - mean[d]) < meanTol, $"dim {d}: mean {m:F4} vs {mean[d]:F4}");
                Assert.True(Math.Abs(v - variance[d]) < varTol, $"dim {d}: variance {v:F4} vs {variance[d]:F4}");
            }
            using var r = mixture.Responsibilities(x, 1, 0);
            using var assigned = r.argmax(1);
            var counts = new int[mixture.Components];
            foreach (long k in assigned.data<long>()) counts[k]++;
            for (int k = 0; k < mixture.Components; k++)
            {
                double w = mixture.Weights[k], freq = (double)counts[k] / N, tol = Z * Math.Sqrt(w * (1 - w) / N);
                Assert.True(Math.Abs(freq - w) < tol, $"component {k}: frequency {freq:F4} vs {w} (tol {tol:F4})");
                // Within the component the spread must be s_k^2 too (the sample variance has sd s_k^2 sqrt(2 / n_k)):
                // a sampler that under-disperses narrow components passes the overall moments but not this.
                var labels = assigned.data<long>().ToArray();
                for (int d = 0; d < 2; d++)
                {
                    var member = Enumerable.Range(0, N).Where(i => labels[i] == k).Select(i => values[i * 2 + d]).ToArray();
                    double m = member.Average(), v = member.Sum(c => (c - m) * (c - m)) / (member.Length - 1);
                    double s2 = Math.Pow(mixture.Std(k)[d], 2), vTol = Z * s2 * Math.Sqrt(2.0 / member.Length);
                    output.WriteLine($"component {k} dim {d}: variance {v:F4} vs {s2:F4} (tol {vTol:F4})");
                    Assert.True(Math.Abs(v - s2) < vTol, $"component {k} dim {d}: variance {v:F4} vs {s2:F4} (tol {vTol:F4})");
                }
            }
        }
    }

    /// <summary>E[(X_d - mean)^4] of the mixture: per component delta^4 + 6 delta^2 s^2 + 3 s^4.</summary>
    static double FourthCentralMoment(int d)
    {
        var mixture = Separated.Value.Mixture;
        double m = mixture.Mean()[d];
        return Enumerable.Range(0, mixture.Components).Sum(k =>
        {
            double delta = mixture.Mean(k)[d] - m, s2 = Math.Pow(mixture.Std(k)[d], 2);
            return mixture.Weights[k] * (Math.Pow(delta, 4) + 6 * delta * delta * s2 + 3 * s2 * s2);
        });
    }

    [Fact]
    public void FirstOrderIsDdimWithEtaOne()
    {
        var times = Dpm.UniformTimes(Schedule, 1, 0, 12);
        using var xT = Dpm.Noise(8, 2, 3);
        using var n1 = new SeededNoise(9);
        using var n2 = new SeededNoise(9);
        using var sde = Dpm.Run(Sde(1), Separated.Value, Schedule, xT, times, n1).X;
        using var ddim = Dpm.Run(new Ddim(new DdimOptions { Eta = 1 }), Separated.Value, Schedule, xT, times, n2).X;
        Assert.True(Dpm.MaxAbsDiff(sde, ddim) < 1e-12, $"max |diff| {Dpm.MaxAbsDiff(sde, ddim):E2}");
        Assert.Equal(n1.Draws, n2.Draws);
    }

    [Fact]
    public void SeededRunsRepeatAndASampleDoesNotDependOnItsBatch()
    {
        var times = Dpm.UniformTimes(Schedule, 1, 0, 10);
        using var xT = Dpm.Noise(8, 2, 4);
        Tensor RunOnce(Tensor initial, long seed)
        {
            using var noise = new SeededNoise(seed);
            return Dpm.Run(Sde(2), Separated.Value, Schedule, initial, times, noise).X;
        }
        using var a = RunOnce(xT, 42);
        using var b = RunOnce(xT, 42);
        Assert.True(Dpm.MaxAbsDiff(a, b) == 0);
        using var half = xT[..4];
        using var c = RunOnce(half, 42);
        using var aHalf = a[..4];
        Assert.True(Dpm.MaxAbsDiff(c, aHalf) < 1e-12);
        using var d = RunOnce(xT, 43);
        Assert.True(Dpm.MaxAbsDiff(a, d) > 1e-3, "the noise source was not used");
    }

    [Fact]
    public void ChecksCountsAndFiniteSamplesAtLowNfe()
    {
        using var xT = Dpm.Noise(8, 2, 5);
        foreach (int order in new[] { 1, 2 })
            foreach (var type in Enum.GetValues<DpmSolverType>())
                foreach (bool denoise in new[] { false, true })
                    foreach (bool toZero in new[] { false, true })
                        for (int nfe = 1; nfe <= 8; nfe++)
                        {
                            var solver = Sde(order, type, denoise);
                            var times = Dpm.UniformTimes(Schedule, 1, toZero ? 0 : Schedule.TMin, nfe);
                            var problems = solver.Check(Schedule, times).ToList();
                            if (denoise && toZero)
                            {
                                Assert.Contains("already end at t = 0", Assert.Single(problems));
                                continue;
                            }
                            Assert.Empty(problems);
                            using var noise = new SeededNoise(6);
                            var (x, model) = Dpm.Run(solver, Separated.Value, Schedule, xT, times, noise);
                            using (x)
                            {
                                Assert.True(x.isfinite().all().item<bool>(), $"order {order} {type}, {nfe} NFE: non-finite");
                                Assert.Equal(solver.Evaluations(times), model.Evaluations);
                                // No noise on a step into t = 0; one draw on every other step.
                                Assert.Equal(nfe - (toZero ? 1 : 0), noise.Draws);
                            }
                        }
    }
}
