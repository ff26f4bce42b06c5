using Pipeline.Metrics;
using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Plugins.Models;
using Pipeline.Plugins.Models.Metrics;
using Pipeline.Plugins.Search.AnalyticDpm;
using Pipeline.Plugins.Solvers;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>The variance table must change DDPM and DDIM (eta = 1) for the better, and gmm-distance must see it.</summary>
public class VarianceGainTests
{
    const int Count = 20000;

    static double MomentError(GaussianMixtureModel model, INoiseSchedule schedule, torch.Tensor samples, IReadOnlyList<double> times)
    {
        var metric = new MixtureDistance(new MixtureDistanceOptions { Projections = 16 });
        using var initial = torch.zeros_like(samples);
        return metric.Score(new MetricContext(samples, initial, new MixtureOnly(model, schedule), times, null))["moment-error"];
    }

    /// <summary>
    /// At 10 steps the usual variance (beta-tilde) leaves the samples' covariance far from the mixture's; Bao et al.'s
    /// optimal variance, from a table estimated at the run's times, must bring it clearly closer (measured: moment error
    /// about 0.88 against 0.62 at 20000 samples, where the error's own sampling noise is below 0.1). If the option were
    /// ignored both runs would draw the same samples and the test would fail.
    /// </summary>
    [Theory]
    [InlineData("ddpm")]
    [InlineData("ddim-eta-1")]
    public void OptimalVarianceBringsTenStepSamplesCloserToTheMixture(string name)
    {
        using var model = Setup.Mixture8D();
        var schedule = Setup.Discrete();
        var times = Enumerable.Range(0, 11).Select(i => i == 10 ? schedule.TMin : 1.0 - i * (1.0 - schedule.TMin) / 10).ToArray();
        using var dir = new TempFolder();
        var optimizer = new AnalyticDpm(new AnalyticDpmOptions { Samples = 5000, Seed = 3, Times = VarianceTimes.Pipeline });
        optimizer.Optimize(new OptimizationContext
        {
            Target = new MixtureTarget(model, schedule, times), OutputDirectory = dir.Path, StateDirectory = dir.Path,
        });
        var table = dir.File(VarianceTable.FileName);
        ISolver plain = name == "ddpm" ? new Ddpm(new DdpmOptions()) : new Ddim(new DdimOptions { Eta = 1 });
        ISolver analytic = name == "ddpm"
            ? new Ddpm(new DdpmOptions { AnalyticVariance = table })
            : new Ddim(new DdimOptions { Eta = 1, AnalyticVariance = table });

        using var initial = Setup.Initial(Count, 8, seed: 21);
        using var usual = Setup.Run(plain, model, schedule, initial, times, noiseSeed: 22);
        using var optimal = Setup.Run(analytic, model, schedule, initial, times, noiseSeed: 22);
        double before = MomentError(model, schedule, usual, times), after = MomentError(model, schedule, optimal, times);
        Assert.True(after < before - 0.15, $"{name}: moment error {before:F3} with the usual variance, {after:F3} with Analytic-DPM's");
    }

    [Fact]
    public void GmmDistanceIsSmallForExactDrawsAndLargeForAShiftedScaledCopy()
    {
        using var model = Setup.Mixture8D();
        var schedule = Setup.Discrete();
        var (exact, labels) = ((ITrainingData)model).Draw(Count, seed: 5, torch.CPU, torch.float64);
        using (exact)
        {
            Assert.Null(labels);
            using var wrong = exact.mul(1.2).add(0.1);
            double good = MomentError(model, schedule, exact, [1.0, 0.0]), bad = MomentError(model, schedule, wrong, [1.0, 0.0]);
            Assert.True(good < 0.25, $"exact draws: {good}");
            Assert.True(bad > 5 * good, $"shifted and scaled: {bad} against {good}");
        }
    }

    [Fact]
    public void ConditionalMixtureDrawsCarryTheirComponents()
    {
        using var model = new GaussianMixtureModel(new GaussianMixtureOptions
        {
            Weights = [0.5, 0.5], Means = [[-5.0], [5.0]], Stds = [[0.1], [0.1]], Conditional = true,
        });
        var (x, labels) = model.Draw(200, seed: 1, torch.CPU, torch.float32);
        using (x)
        using (labels)
        {
            Assert.NotNull(labels);
            Assert.Equal(torch.float32, x.dtype);
            // Component 0 sits at -5, component 1 at +5: each draw's sign gives its label.
            using var expected = x.reshape(-1).gt(0).to(torch.int64);
            Assert.True(expected.eq(labels!).all().item<bool>());
        }
    }

    /// <summary>What gmm-distance reads of a run: the model behind the denoiser.</summary>
    sealed class MixtureOnly(IDiffusionModel model, INoiseSchedule schedule) : IConditionalDenoiser
    {
        public INoiseSchedule Schedule => schedule;
        public IDiffusionModel Model => model;
        public ModelOutput Predict(torch.Tensor x, double t, Conditioning conditioning) => throw new NotSupportedException();
    }
}
