using Pipeline.Plugins.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

public class GaussianMixtureTests
{
    // Three components in 3-D: isotropic, diagonal and isotropic stds, unnormalised weights.
    internal static readonly double[] Weights = [2, 1, 1];
    internal static readonly double[][] Means = [[-2, 0, 1], [1.5, 1.5, -0.5], [1, -2, 0]];
    internal static readonly double[][] Stds = [[0.5], [0.3, 0.8, 0.6], [0.4]];

    internal static GaussianMixture Create(long[]? shape = null) => new(Weights, Means, Stds, shape);

    static readonly ReferenceMixture Reference = new(Weights, Means, Stds);

    static readonly (double Alpha, double Sigma)[] Times = [(1.0, 0.0), (0.999, 0.045), (0.8, 0.6), (0.3, Math.Sqrt(1 - 0.09)), (1.0, 3.0), (0.5, 2.0)];

    static Tensor Points(int n, long seed, double scale = 2.0)
    {
        var g = new Generator((ulong)seed);
        return randn([n, 3], float64, generator: g).mul_(scale);
    }

    static double[] Row(Tensor t, int i) => t[i].data<double>().ToArray();

    [Fact]
    public void WeightsAreNormalisedAndMomentsAreClosedForm()
    {
        using var gmm = Create();
        Assert.Equal([0.5, 0.25, 0.25], gmm.Weights);
        var mean = gmm.Mean();
        var variance = gmm.Variance();
        for (int d = 0; d < 3; d++)
        {
            double m = 0.5 * Means[0][d] + 0.25 * Means[1][d] + 0.25 * Means[2][d];
            double second = 0.5 * (0.25 + Means[0][d] * Means[0][d])
                + 0.25 * (Stds[1][d] * Stds[1][d] + Means[1][d] * Means[1][d])
                + 0.25 * (0.16 + Means[2][d] * Means[2][d]);
            Assert.Equal(m, mean[d], 12);
            Assert.Equal(second - m * m, variance[d], 12);
        }
        Assert.Equal([0.3, 0.8, 0.6], gmm.Std(1), new DoubleTolerance(1e-15));
        Assert.Equal([0.5, 0.5, 0.5], gmm.Std(0), new DoubleTolerance(1e-15));
    }

    [Fact]
    public void LogDensityAndResponsibilitiesMatchPointwiseFormulas()
    {
        using var gmm = Create();
        using var x = Points(20, 1);
        foreach (var (a, s) in Times)
        {
            using var logp = gmm.LogDensity(x, a, s);
            using var r = gmm.Responsibilities(x, a, s);
            Assert.Equal(ScalarType.Float64, r.dtype);
            Assert.Equal([20L, 3L], r.shape);
            for (int i = 0; i < 20; i++)
            {
                var xi = Row(x, i);
                Assert.Equal(Reference.LogDensity(xi, a, s), logp[i].item<double>(), 10);
                Assert.Equal(Reference.Responsibilities(xi, a, s), Row(r, i), new DoubleTolerance(1e-12));
            }
        }
    }

    [Fact]
    public void EpsilonIsMinusSigmaTimesFiniteDifferenceGradientOfLogDensity()
    {
        using var gmm = Create();
        using var x = Points(8, 2);
        const double h = 1e-5;
        foreach (var (a, s) in Times.Where(t => t.Sigma > 0))
        {
            using var eps = gmm.Epsilon(x, a, s);
            using var score = gmm.Score(x, a, s);
            for (int d = 0; d < 3; d++)
            {
                using var step = zeros(1, 3, float64);
                step[0, d] = h;
                using var plus = gmm.LogDensity(x + step, a, s);
                using var minus = gmm.LogDensity(x - step, a, s);
                using var gradient = (plus - minus) / (2 * h);
                using var expected = gradient * (-s);
                using var epsD = eps[.., d];
                using var scoreD = score[.., d];
                Assert.True(epsD.allclose(expected, rtol: 1e-6, atol: 1e-7), $"eps dim {d} at alpha={a}, sigma={s}");
                Assert.True(scoreD.allclose(gradient, rtol: 1e-6, atol: 1e-7), $"score dim {d} at alpha={a}, sigma={s}");
            }
        }
    }

    [Fact]
    public void ScoreAtSigmaZeroIsTheDataScore()
    {
        using var gmm = Create();
        using var x = Points(8, 3);
        const double h = 1e-5;
        using var score = gmm.Score(x, 1, 0);
        using var eps = gmm.Epsilon(x, 1, 0);
        Assert.Equal(0.0, eps.abs().max().item<double>());
        for (int d = 0; d < 3; d++)
        {
            using var step = zeros(1, 3, float64);
            step[0, d] = h;
            using var gradient = (gmm.LogDensity(x + step, 1, 0) - gmm.LogDensity(x - step, 1, 0)) / (2 * h);
            Assert.True(score[.., d].allclose(gradient, rtol: 1e-6, atol: 1e-7));
        }
    }

    [Fact]
    public void TweediePosteriorMeanMatchesGaussianConditioning()
    {
        // x_0 prediction from eps, (x - sigma eps) / alpha, must be E[x_0 | x_t] computed component by component.
        using var gmm = Create();
        using var x = Points(10, 4);
        foreach (var (a, s) in Times.Where(t => t.Sigma > 0))
        {
            using var eps = gmm.Epsilon(x, a, s);
            using var x0 = (x - eps * s) / a;
            for (int i = 0; i < 10; i++)
                Assert.Equal(Reference.PosteriorMean(Row(x, i), a, s), Row(x0, i), new DoubleTolerance(1e-11));
        }
    }

    [Fact]
    public void EpsilonDependsOnlyOnTheNoiseRatioOfTheScaledSample()
    {
        // eps(alpha y; alpha, sigma) = eps(y; 1, sigma / alpha): the fact the probability-flow oracle rests on.
        using var gmm = Create();
        using var y = Points(10, 5);
        foreach (var (a, s) in Times.Where(t => t.Sigma > 0))
        {
            using var lhs = gmm.Epsilon(y * a, a, s);
            using var rhs = gmm.Epsilon(y, 1, s / a);
            Assert.True(lhs.allclose(rhs, rtol: 1e-12, atol: 1e-13));
        }
    }

    [Fact]
    public void OutputKeepsInputDtypeAndShapeAndAcceptsAnySampleShape()
    {
        using var gmm = new GaussianMixture([1, 3], [[0, 1, 2, 3], [1, 1, -1, -1]], [[1], [0.5, 0.6, 0.7, 0.8]], [2, 2]);
        Assert.Equal([2L, 2L], gmm.SampleShape);
        using var x64 = randn([5, 2, 2], float64, generator: new Generator(7));
        using var x32 = x64.to_type(float32);
        using var e64 = gmm.Epsilon(x64, 0.6, 0.8);
        using var e32 = gmm.Epsilon(x32, 0.6, 0.8);
        Assert.Equal(ScalarType.Float32, e32.dtype);
        Assert.Equal([5L, 2L, 2L], e32.shape);
        Assert.True(e32.to_type(float64).allclose(e64, rtol: 1e-5, atol: 1e-6));
        using var flat = gmm.Epsilon(x64.reshape(5, 4), 0.6, 0.8);
        Assert.True(flat.allclose(e64.reshape(5, 4), rtol: 0, atol: 0));
        Assert.Throws<ArgumentException>(() => gmm.Epsilon(zeros(5, 3, float64), 0.6, 0.8));
    }

    [Fact]
    public void FarAwayPointsGiveFiniteValues()
    {
        // Every component density underflows there; log-sum-exp keeps the responsibilities finite.
        using var gmm = Create();
        using var x = full(new long[] { 2, 3 }, 300.0, float64);
        x[1] = tensor(new[] { -400.0, 250.0, 10.0 }, float64);
        using var eps = gmm.Epsilon(x, 1, 1e-3);
        using var r = gmm.Responsibilities(x, 1, 1e-3);
        Assert.True(eps.isfinite().all().item<bool>());
        Assert.True(r.isfinite().all().item<bool>());
        Assert.Equal(1.0, r.sum(-1)[0].item<double>(), 12);
    }

    [Fact]
    public void LabelledEpsilonIsTheSingleComponentOrTheMixture()
    {
        using var gmm = Create();
        using var x = Points(6, 6);
        using var labels = tensor(new long[] { 0, 1, 2, -1, 2, -1 });
        const double a = 0.7, s = 0.5;
        using var eps = gmm.Epsilon(x, a, s, labels);
        using var mixture = gmm.Epsilon(x, a, s);
        var l = labels.data<long>().ToArray();
        for (int i = 0; i < 6; i++)
        {
            var expected = l[i] < 0 ? Row(mixture, i) : Reference.ComponentEpsilon((int)l[i], Row(x, i), a, s);
            Assert.Equal(expected, Row(eps, i), new DoubleTolerance(1e-13));
        }
    }

    [Fact]
    public void SamplesHaveTheMixtureMomentsAndComponentFrequencies()
    {
        using var gmm = Create();
        const int n = 20000;
        var (samples, components) = gmm.Sample(n, new Generator(11));
        using var _s = samples;
        using var _c = components;
        Assert.Equal([(long)n, 3L], samples.shape);
        Assert.Equal(ScalarType.Int64, components.dtype);
        var mean = gmm.Mean();
        var variance = gmm.Variance();
        using var sampleMean = samples.mean([0]);
        using var sampleVar = samples.var(0);
        for (int d = 0; d < 3; d++)
        {
            // 5 standard errors; the variance's standard error uses a generous kurtosis bound.
            Assert.InRange(sampleMean[d].item<double>(), mean[d] - 5 * Math.Sqrt(variance[d] / n), mean[d] + 5 * Math.Sqrt(variance[d] / n));
            Assert.InRange(sampleVar[d].item<double>(), variance[d] * (1 - 5 * Math.Sqrt(4.0 / n)), variance[d] * (1 + 5 * Math.Sqrt(4.0 / n)));
        }
        using var counts = components.bincount(null, 3);
        for (int k = 0; k < 3; k++)
        {
            double p = gmm.Weights[k], f = counts[k].item<long>() / (double)n;
            Assert.InRange(f, p - 5 * Math.Sqrt(p * (1 - p) / n), p + 5 * Math.Sqrt(p * (1 - p) / n));
        }
        // Each sample sits near its own component: the exact posterior at sigma = 0 picks it most of the time.
        using var r = gmm.Responsibilities(samples, 1, 0);
        double agreement = r.argmax(1).eq(components).to_type(float64).mean().item<double>();
        Assert.True(agreement > 0.95, $"agreement {agreement}");
    }

    [Fact]
    public void SamplingIsReproducibleAndShaped()
    {
        using var gmm = Create([3, 1]);
        var (a, ca) = gmm.Sample(50, new Generator(3));
        var (b, cb) = gmm.Sample(50, new Generator(3));
        Assert.Equal([50L, 3L, 1L], a.shape);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        Assert.True(ca.eq(cb).all().item<bool>());
    }

    [Theory]
    [InlineData("weights")]
    [InlineData("negative-weight")]
    [InlineData("means-rows")]
    [InlineData("means-ragged")]
    [InlineData("stds-rows")]
    [InlineData("stds-length")]
    [InlineData("stds-zero")]
    [InlineData("shape")]
    public void InvalidParametersAreRejected(string what)
    {
        double[] w = [1, 1];
        double[][] m = [[0, 0], [1, 1]];
        double[][] s = [[1], [1, 2]];
        long[]? shape = null;
        switch (what)
        {
            case "weights": w = []; break;
            case "negative-weight": w = [1, -1]; break;
            case "means-rows": m = [[0, 0]]; break;
            case "means-ragged": m = [[0, 0], [1]]; break;
            case "stds-rows": s = [[1]]; break;
            case "stds-length": s = [[1], [1, 2, 3]]; break;
            case "stds-zero": s = [[1], [0, 2]]; break;
            case "shape": shape = [3]; break;
        }
        Assert.Throws<ArgumentException>(() => new GaussianMixture(w, m, s, shape));
    }
}

sealed class DoubleTolerance(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y)));
    public int GetHashCode(double obj) => 0;
}
