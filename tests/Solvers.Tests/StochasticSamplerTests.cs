using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Karras;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Stochastic samplers started from the exact marginal at t = 1 must reproduce a 2-D mixture: per-dimension mean and
/// variance, and component frequencies, each within 5 standard errors computed from the sample size.
/// </summary>
public class StochasticSamplerTests
{
    const int N = 4000;
    const double Z = 5;

    /// <summary>Well separated, so the component of a sample is unambiguous at t = 0.</summary>
    static readonly GaussianMixture Mixture = new([0.5, 0.3, 0.2], [[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]], [0.3, 0.5, 0.4]);

    public static TheoryData<string, string, int> Cases => new()
    {
        { "ddpm-beta-tilde", "discrete", 1000 },
        { "ddpm-beta", "discrete", 1000 },
        { "ddim-eta-1", "discrete", 500 },
        { "ddim-eta-1", "ve", 200 },
        { "euler-maruyama", "discrete", 1000 },
        { "euler-maruyama", "continuous", 1000 },
        { "dpm2-ancestral", "ve", 100 },
        { "dpm2-ancestral-eta-0.5", "ve", 100 },
    };

    static ISolver Solver(string name) => name switch
    {
        "ddpm-beta-tilde" => new Ddpm(new DdpmOptions { Variance = DdpmVariance.BetaTilde }),
        "ddpm-beta" => new Ddpm(new DdpmOptions { Variance = DdpmVariance.Beta }),
        "ddim-eta-1" => new Ddim(new DdimOptions { Eta = 1 }),
        "euler-maruyama" => new EulerMaruyama(new EulerMaruyamaOptions()),
        "dpm2-ancestral" => new Dpm2Ancestral(new Dpm2AncestralOptions()),
        "dpm2-ancestral-eta-0.5" => new Dpm2Ancestral(new Dpm2AncestralOptions { Eta = 0.5 }),
        _ => throw new ArgumentException(name),
    };

    static (INoiseSchedule Schedule, double[] Times) Setting(string schedule, int steps) => schedule switch
    {
        // DDPM's own grid: every training step, then the step into t = 0.
        "discrete" => (new DiscreteLinearSchedule(), Harness.UniformTimes(1, 0, steps)),
        "continuous" => (new ContinuousVpLinearSchedule(), Harness.UniformTimes(1, 1e-3, steps)),
        // sigma from 80 to 0.002 geometrically, then into sigma = 0.
        "ve" => (new VeSchedule(), [.. Harness.LogSnrTimes(new VeSchedule(), 80, 0.002, steps - 1), 0]),
        _ => throw new ArgumentException(schedule),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesTheMixture(string solver, string schedule, int steps)
    {
        var (noiseSchedule, times) = Setting(schedule, steps);
        var (xT, _) = Mixture.Sample(N, noiseSchedule.Alpha(times[0]), noiseSchedule.Sigma(times[0]), seed: 17);
        using var noise = new BatchNoise(23);
        var (x, model) = Harness.Run(Solver(solver), Mixture, noiseSchedule, xT, times, noise);
        using (xT) using (x)
        {
            Assert.Equal(Solver(solver).Evaluations(times), model.Evaluations);
            var values = x.data<double>().ToArray();
            for (int d = 0; d < 2; d++)
            {
                var column = Enumerable.Range(0, N).Select(i => values[i * 2 + d]).ToArray();
                double mean = column.Average(), variance = column.Sum(v => (v - mean) * (v - mean)) / (N - 1);
                double trueVar = Mixture.Variance(d);
                double meanTol = Z * Math.Sqrt(trueVar / N);
                double varTol = Z * Math.Sqrt((Mixture.FourthCentralMoment(d) - trueVar * trueVar) / N);
                Assert.True(Math.Abs(mean - Mixture.Mean(d)) < meanTol, $"dim {d}: mean {mean:F4} vs {Mixture.Mean(d):F4} (tol {meanTol:F4})");
                Assert.True(Math.Abs(variance - trueVar) < varTol, $"dim {d}: variance {variance:F4} vs {trueVar:F4} (tol {varTol:F4})");
            }

            // Each sample's component: the most likely one under the exact posterior at t = 0.
            using var r = Mixture.Responsibilities(x, 1, 0);
            using var assigned = r.argmax(1);
            var counts = new int[Mixture.Components];
            foreach (long k in assigned.data<long>()) counts[k]++;
            for (int k = 0; k < Mixture.Components; k++)
            {
                double w = Mixture.Weights[k], freq = (double)counts[k] / N, tol = Z * Math.Sqrt(w * (1 - w) / N);
                Assert.True(Math.Abs(freq - w) < tol, $"component {k}: frequency {freq:F4} vs weight {w} (tol {tol:F4})");
            }

            // Within each component (the mixture's moments barely see the component spreads): mean per dimension,
            // and the variance pooled over dimensions, whose standard error is s^2 sqrt(2 / (D n_k)).
            var labels = assigned.data<long>().ToArray();
            for (int k = 0; k < Mixture.Components; k++)
            {
                var members = Enumerable.Range(0, N).Where(i => labels[i] == k).ToArray();
                int nk = members.Length;
                double s2 = Mixture.Stds[k] * Mixture.Stds[k], pooled = 0;
                for (int d = 0; d < 2; d++)
                {
                    double mean = members.Average(i => values[i * 2 + d]);
                    double tol = Z * Math.Sqrt(s2 / nk);
                    Assert.True(Math.Abs(mean - Mixture.Means[k][d]) < tol, $"component {k}, dim {d}: mean {mean:F4} vs {Mixture.Means[k][d]} (tol {tol:F4})");
                    pooled += members.Sum(i => Math.Pow(values[i * 2 + d] - mean, 2)) / (nk - 1) / 2;
                }
                double varTol = Z * s2 * Math.Sqrt(2.0 / (2 * nk));
                Assert.True(Math.Abs(pooled - s2) < varTol, $"component {k}: variance {pooled:F4} vs {s2:F4} (tol {varTol:F4})");
            }
        }
    }
}
