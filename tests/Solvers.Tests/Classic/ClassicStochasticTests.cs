using Pipeline.Plugins.Schedules;
using Pipeline.Plugins.Solvers.Karras;
using Pipeline.Plugins.Solvers.Langevin;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Classic;

/// <summary>
/// Stochastic classic samplers started from the exact marginal at their first time must reproduce a mixture of well
/// separated components: moments, component frequencies, per-component means and variances, each within 5 standard
/// errors of the sample size (<see cref="MixtureAgreement"/>).
/// </summary>
public class ClassicStochasticTests(ITestOutputHelper output)
{
    const double Z = 5;

    static readonly INoiseSchedule Edm = new EdmSchedule(new EdmScheduleOptions());
    static readonly INoiseSchedule VpLinear = new VpLinearSchedule(new VpLinearScheduleOptions());

    /// <summary>Three components in the plane with different spreads (the mixture of the other stochastic tests).</summary>
    static readonly GaussianMixture Plane = new([0.5, 0.3, 0.2], [[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]], [0.3, 0.5, 0.4]);

    /// <summary>
    /// The same means in the first two of 64 dimensions and one spread for all: pc's per-sample step sizes need many values
    /// per sample (see <see cref="PerSampleSnrStepSizeInflatesTheVarianceByTheDimensionFactor"/>), and with unequal spreads
    /// in 64 dimensions the component posteriors are so sharp that a 2 % variance error at a middle noise level moves
    /// samples between components.
    /// </summary>
    static readonly GaussianMixture Wide = new([0.5, 0.3, 0.2], [Pad(-2.0, 0.0), Pad(2.0, 1.0), Pad(0.0, -2.5)], [0.4, 0.4, 0.4]);

    static double[] Pad(double a, double b) => [a, b, .. new double[62]];

    void Check(ISolver solver, GaussianMixture mixture, INoiseSchedule schedule, double[] times, int samples, int expectedNfe, int? checkedDims = null)
    {
        var (xT, _) = mixture.Sample(samples, schedule.Alpha(times[0]), schedule.Sigma(times[0]), seed: 17);
        using var noise = new BatchNoise(23);
        var (x, model) = Harness.Run(solver, mixture, schedule, xT, times, noise);
        using (xT) using (x)
        {
            Assert.Equal(expectedNfe, model.Evaluations);
            MixtureAgreement.AssertAgrees(x, mixture, Z, output.WriteLine, checkedDims);
        }
    }

    /// <summary>Measured (EDM): every statistic within 1 SE. Euler with the same churn needs many more steps: at 200 steps
    /// a component variance of 0.081 instead of 0.090 (Euler's first-order shrinkage, larger from the churned step start).</summary>
    [Fact]
    public void HeunWithChurnOnEdm() =>
        Check(new KarrasHeun(new ChurnOptions { SChurn = 10 }), Plane, Edm, [.. KarrasSigmas.Sigmas(64, 0.002, 80, 7), 0], 4000, 127);

    /// <summary>The churn in the scaled variable x / alpha on a VP schedule (noise levels sigma / alpha up to 157).</summary>
    [Fact]
    public void HeunWithChurnOnVpLinear() =>
        Check(new KarrasHeun(new ChurnOptions { SChurn = 10 }), Plane, VpLinear, [.. Harness.UniformTimes(1, 1e-3, 63), 0], 4000, 127);

    /// <summary>
    /// 39 levels from sigma = 5 down to 0.05, 10 Langevin steps each with epsilon = 0.5 sigma_L^2, then the denoising step.
    /// Annealed Langevin dynamics lags behind the shrinking levels and its finite step over-disperses: measured component
    /// variances 3-6 % high and frequencies 0.46-0.47 instead of 0.5 at several settings of this cost (2000 samples: within
    /// 3 SE); with 4000 samples and 50 levels of 20 steps (1000 NFE) from sigma = 80 the variances match but the
    /// frequencies stay 0.46-0.49.
    /// </summary>
    [Fact]
    public void AnnealedLangevinOnEdm()
    {
        double sigmaL = 0.05;
        Check(new AnnealedLangevin(new AnnealedLangevinOptions { Epsilon = 0.5 * sigmaL * sigmaL, NStepsEach = 10 }), Plane, Edm,
            [.. Harness.LogSnrTimes(Edm, 5, sigmaL, 39), 0], 2000, 39 * 10 + 1);
    }

    [Fact]
    public void PredictorCorrectorOnEdm() =>
        Check(new PredictorCorrector(new PredictorCorrectorOptions()), Wide, Edm, [.. Harness.LogSnrTimes(Edm, 5, 0.02, 149), 0], 1000, 299, checkedDims: 2);

    [Fact]
    public void PredictorCorrectorOnVpLinear() =>
        Check(new PredictorCorrector(new PredictorCorrectorOptions()), Wide, VpLinear, [.. Harness.UniformTimes(1, 1e-3, 149), 0], 1000, 299, checkedDims: 2);

    /// <summary>
    /// A property of Song et al.'s step rule applied per sample (the corrector algorithm as written, one x at a time): the step
    /// e = 2 (r |z| / |g|)^2 grows with the same |z| that drives the noise, and shrinks with the sample's own |g|. For a
    /// Gaussian N(0, v I) in D dimensions, balancing E|x|^2 under x + e g + sqrt(2 e) z gives D v = E|z|^4 v^2 E[1 / |x|^2],
    /// so the corrector's stationary variance is v (D + 2) / (D - 2) (times 1 + r^2 D / (2 (D - 2)) from the finite step):
    /// +30 % at D = 16, below 0.2 % for images (D in the thousands), divergent at D = 2 (refused). The score-SDE code
    /// averages both norms over the batch, which removes the bias but makes a sample depend on its batch.
    /// </summary>
    [Fact]
    public void PerSampleSnrStepSizeInflatesTheVarianceByTheDimensionFactor()
    {
        const int d = 16, n = 2000;
        double r = 0.16, s = 0.5;
        var gaussian = new GaussianMixture([1.0], [new double[d]], [s]);
        // One tiny predictor step from sigma = 1.001 to 1, then 200 corrector steps at sigma = 1.
        var solver = new PredictorCorrector(new PredictorCorrectorOptions { Snr = r, CorrectorSteps = 200 });
        var (xT, _) = gaussian.Sample(n, 1, 1.001, seed: 5);
        using var noise = new BatchNoise(6);
        var (x, _) = Harness.Run(solver, gaussian, Edm, xT, [1.001, 1.0], noise);
        using (xT) using (x)
        {
            double v = s * s + 1, measured = x.Squared().mean().item<double>() / v;
            double predicted = (d + 2.0) / (d - 2) * (1 + r * r * d / (2.0 * (d - 2)));
            double standardError = Math.Sqrt(2.0 / (d * n)) * predicted;
            output.WriteLine($"variance / v = {measured:F4}; predicted {predicted:F4} (SE {standardError:F4})");
            Assert.True(Math.Abs(measured - predicted) < Z * standardError + 0.01, $"inflation {measured:F4}, predicted {predicted:F4}");
        }
    }
}
