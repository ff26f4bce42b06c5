using Pipeline.Guidance;
using Pipeline.Plugins.Guidance.ClassifierFree;
using Pipeline.Plugins.Guidance.Classifier;
using Pipeline.Plugins.Solvers;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Guidance checked exactly on the analytic mixture: with the exact posterior, classifier guidance at scale 1 turns
/// the mixture's eps into that of component k alone, and so does classifier-free guidance at scale 1 with the
/// conditional mixture. An accurate ODE solver then maps x_T ~ N(0, I) to component k.
/// </summary>
public class MixtureSamplingTests(ITestOutputHelper output)
{
    const int N = 2000, Target = 2;

    static (ISolver Solver, INoiseSchedule Schedule, double[] Times) Setup(string solver)
    {
        if (solver == "ddim")
        {
            // 400 log-SNR steps to TMin, then a last step to t = 0 (DDIM returns x_0 there).
            var discrete = Mixtures.DiscreteLinear();
            return (new Ddim(new DdimOptions()), discrete, [.. Mixtures.LogSnrTimes(discrete, 400, discrete.TMin), 0.0]);
        }
        var vp = Mixtures.ContinuousVp();
        return (new ProbabilityFlowOde(new ProbabilityFlowOdeOptions { Method = OdeMethod.Heun }), vp, Mixtures.LogSnrTimes(vp, 100, vp.TMin));
    }

    static IGuidance Guidance(string kind, double scale) => kind == "classifier"
        ? new ClassifierGuidance(new ClassifierGuidanceOptions { Classifier = "gmm-posterior", Scale = scale })
        : new ClassifierFreeGuidance(new ClassifierFreeGuidanceOptions { Scale = scale });

    [Theory]
    [InlineData("classifier", "ddim")]
    [InlineData("classifier", "heun")]
    [InlineData("cfg", "ddim")]
    [InlineData("cfg", "heun")]
    public void ScaleOneSamplesTheLabelledComponent(string kind, string solverName)
    {
        using var model = Mixtures.Separated();
        var (solver, schedule, times) = Setup(solverName);
        var adapter = Mixtures.Adapter(model, schedule);
        var guidance = Guidance(kind, 1.0);
        Assert.Empty(guidance.Check(adapter));
        using var initial = GuidedRuns.Noise(N, 2, seed: 11);
        using var x = GuidedRuns.Run(solver, guidance.Wrap(adapter), times, initial, Enumerable.Repeat((long)Target, N).ToArray());

        double tEnd = times[^1], tStart = times[0];
        double alphaEnd = schedule.Alpha(tEnd), sigmaEnd = tEnd == 0 ? 0 : schedule.Sigma(tEnd);
        double alphaStart = schedule.Alpha(tStart), sigmaStart = schedule.Sigma(tStart);
        double purity = GuidedRuns.Purity(model.Mixture, x, Target, alphaEnd, sigmaEnd);
        var (mean, variance) = GuidedRuns.Moments(x);
        output.WriteLine($"{kind} + {solverName}: purity {purity:P2}, mean [{string.Join(", ", mean.Select(m => m.ToString("F4")))}], " +
                         $"variance [{string.Join(", ", variance.Select(v => v.ToString("F4")))}]");
        Assert.True(purity >= 0.99, $"purity {purity:P2}");

        // For one Gaussian the probability flow is affine: x_t = alpha_t mu + r_t (x_T - alpha_T mu) / r_T with
        // r^2 = alpha^2 s^2 + sigma^2, so N(0, I) at T maps to mean alpha_t mu - r_t alpha_T mu / r_T and variance (r_t / r_T)^2.
        var mu = model.Mixture.Mean(Target);
        var std = model.Mixture.Std(Target);
        var start = initial.data<double>().ToArray();
        var end = x.data<double>().ToArray();
        double squared = 0;
        for (int d = 0; d < 2; d++)
        {
            double rEnd = Math.Sqrt(alphaEnd * alphaEnd * std[d] * std[d] + sigmaEnd * sigmaEnd);
            double rStart = Math.Sqrt(alphaStart * alphaStart * std[d] * std[d] + sigmaStart * sigmaStart);
            double expectedMean = alphaEnd * mu[d] - rEnd * alphaStart * mu[d] / rStart;
            double expectedVariance = rEnd * rEnd / (rStart * rStart);
            // Four standard errors of the sample mean and variance of N normal draws, plus the solver's own error
            // (measured below against the exact map: DDIM's first-order bias in the variance is about 2.5e-3 here).
            double meanTolerance = 4 * Math.Sqrt(expectedVariance / N) + 5e-3;
            double varianceTolerance = 4 * expectedVariance * Math.Sqrt(2.0 / (N - 1)) + 5e-3;
            Assert.True(Math.Abs(mean[d] - expectedMean) <= meanTolerance, $"mean[{d}] {mean[d]} vs {expectedMean} (tolerance {meanTolerance:E2})");
            Assert.True(Math.Abs(variance[d] - expectedVariance) <= varianceTolerance, $"variance[{d}] {variance[d]} vs {expectedVariance} (tolerance {varianceTolerance:E2})");
            for (int i = 0; i < N; i++)
            {
                double exact = alphaEnd * mu[d] + rEnd * (start[2 * i + d] - alphaStart * mu[d]) / rStart;
                squared += (end[2 * i + d] - exact) * (end[2 * i + d] - exact);
            }
        }
        // Sample by sample against the exact flow of component k: the solver's error alone.
        double rmse = Math.Sqrt(squared / (2 * N));
        output.WriteLine($"RMSE against the exact map of component {Target}: {rmse:E2}");
        Assert.True(rmse < (solverName == "ddim" ? 1e-2 : 1e-3), $"RMSE {rmse:E2}");
    }

    [Fact]
    public void LargerScalesGiveHigherPurity()
    {
        using var model = Mixtures.Overlapping();
        var (solver, schedule, times) = Setup("ddim");
        var adapter = Mixtures.Adapter(model, schedule);
        using var initial = GuidedRuns.Noise(N, 2, seed: 12);
        var labels = Enumerable.Repeat((long)Target, N).ToArray();
        var purity = new[] { 1.0, 2.0, 4.0 }.Select(scale =>
        {
            using var x = GuidedRuns.Run(solver, Guidance("cfg", scale).Wrap(adapter), times, initial, labels);
            return GuidedRuns.Purity(model.Mixture, x, Target, 1, 0);
        }).ToArray();

        // The exact purity of component k: exact mixture draws from component k, classified by the posterior.
        var (draws, components) = model.Mixture.Sample(20000, new Generator(13));
        using (draws) using (components)
        {
            using var mask = components.eq(Target);
            using var own = draws[mask];
            double exact = GuidedRuns.Purity(model.Mixture, own, Target, 1, 0);
            double se = Math.Sqrt(exact * (1 - exact) * (1.0 / N + 1.0 / own.shape[0]));
            output.WriteLine($"purity at scales 1, 2, 4: {string.Join(", ", purity.Select(p => p.ToString("P2")))}; exact at 1: {exact:P2} (+- {se:P2})");
            Assert.True(Math.Abs(purity[0] - exact) <= 4 * se, $"purity at scale 1 {purity[0]:P2} vs exact {exact:P2}");
        }
        // Same initial noise for every scale; each step up must beat two standard errors of a proportion.
        double step = 2 * Math.Sqrt(0.25 / N);
        Assert.True(purity[0] < 0.9, "the mixture must overlap for the comparison to mean anything");
        Assert.True(purity[1] > purity[0] + step && purity[2] > purity[1] + step,
            $"purity must increase with the scale: {string.Join(", ", purity)}");
    }
}
