using Pipeline.Plugins.Guidance.ClassifierFree;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

public class ClassifierFreeGuidanceTests
{
    static readonly long[] Labels = [0, 1, 2, 0, -1, 2];

    static IConditionalDenoiser Guided(IConditionalDenoiser inner, ClassifierFreeGuidanceOptions options)
    {
        var guidance = new ClassifierFreeGuidance(options);
        Assert.Empty(guidance.Check(inner));
        return guidance.Wrap(inner);
    }

    static Tensor X(ulong seed = 1) => randn([Labels.Length, 2], float64, generator: new Generator(seed));

    [Theory]
    [InlineData(3.0)]
    [InlineData(0.4)]
    [InlineData(0.0)]
    public void CombinesTheExactBranches(double scale)
    {
        using var model = Mixtures.Separated();
        var schedule = Mixtures.DiscreteLinear();
        var guided = Guided(Mixtures.Adapter(model, schedule), new ClassifierFreeGuidanceOptions { Scale = scale });
        using var x = X();
        using var labels = tensor(Labels);
        double t = 0.4, alpha = schedule.Alpha(t), sigma = schedule.Sigma(t);
        var (eps, data) = guided.Predict(x, t, new Conditioning(labels));

        using var conditional = model.Mixture.Epsilon(x, alpha, sigma, labels);
        using var unconditional = model.Mixture.Epsilon(x, alpha, sigma);
        // Ho and Salimans eq. (6) with s = 1 + w.
        using var expected = unconditional + scale * (conditional - unconditional);
        Assert.True(eps.allclose(expected, rtol: 0, atol: 1e-12));
        using var expectedData = (x - sigma * expected) / alpha;
        Assert.True(data.allclose(expectedData, rtol: 0, atol: 1e-10));
        eps.Dispose(); data.Dispose();
    }

    [Fact]
    public void EvaluatesBothBranchesInOneBatchWithTheNullLabel()
    {
        using var model = Mixtures.Separated();
        var counting = new CountingDenoiser(Mixtures.Adapter(model, Mixtures.DiscreteLinear()));
        var guided = Guided(counting, new ClassifierFreeGuidanceOptions { Scale = 2.5 });
        using var x = X();
        using var labels = tensor(Labels);
        for (int i = 0; i < 4; i++)
        {
            var (eps, data) = guided.Predict(x, 0.9 - 0.2 * i, new Conditioning(labels));
            eps.Dispose(); data.Dispose();
        }
        Assert.Equal(4, counting.Calls.Count);
        foreach (var call in counting.Calls)
        {
            Assert.Equal(2 * Labels.Length, call.Batch);
            Assert.Equal(Labels.Concat(Enumerable.Repeat(Conditioning.NullLabel, Labels.Length)), call.Labels!);
        }
    }

    [Fact]
    public void ScaleOneIsTheConditionalModelAlone()
    {
        using var model = Mixtures.Separated();
        var counting = new CountingDenoiser(Mixtures.Adapter(model, Mixtures.DiscreteLinear()));
        var guided = Guided(counting, new ClassifierFreeGuidanceOptions { Scale = 1.0, Rescale = 0.7 });
        using var x = X();
        using var labels = tensor(Labels);
        var (eps, data) = guided.Predict(x, 0.5, new Conditioning(labels));
        var (plain, plainData) = counting.Predict(x, 0.5, new Conditioning(labels));
        Assert.True(Tensors.Same(eps, plain) && Tensors.Same(data, plainData));
        Assert.Equal(Labels.Length, counting.Calls[0].Batch);
        foreach (var t in new[] { eps, data, plain, plainData }) t.Dispose();
    }

    [Theory]
    [InlineData(IntervalUnit.Fraction, 0.25, 0.5)]
    [InlineData(IntervalUnit.Time, 0.75, 0.5)]
    [InlineData(IntervalUnit.Sigma, 2.0, 0.9)]
    public void GuidesOnlyInsideTheInterval(IntervalUnit unit, double start, double end)
    {
        using var model = Mixtures.Separated();
        var schedule = Mixtures.DiscreteLinear();
        var counting = new CountingDenoiser(Mixtures.Adapter(model, schedule));
        var guided = Guided(counting, new ClassifierFreeGuidanceOptions { Scale = 3, IntervalUnit = unit, Start = start, End = end });
        using var x = X();
        using var labels = tensor(Labels);
        double[] times = [0.95, 0.7, 0.6, 0.52, 0.3, 0.05];
        foreach (var t in times)
        {
            var (eps, data) = guided.Predict(x, t, new Conditioning(labels));
            eps.Dispose(); data.Dispose();
        }
        bool Inside(double t) => unit switch
        {
            IntervalUnit.Fraction => 1 - t >= start && 1 - t <= end,
            IntervalUnit.Time => t <= start && t >= end,
            _ => schedule.Sigma(t) / schedule.Alpha(t) is var s && s <= start && s >= end,
        };
        var guidedSteps = times.Where(Inside).ToArray();
        Assert.InRange(guidedSteps.Length, 1, times.Length - 1); // the cases cut through the run
        Assert.Equal(times.Select(t => Inside(t) ? 2L * Labels.Length : Labels.Length), counting.Calls.Select(c => c.Batch));
    }

    [Fact]
    public void WithoutRescaleTheSpaceMakesNoDifference()
    {
        using var model = Mixtures.Separated();
        var adapter = Mixtures.Adapter(model, Mixtures.ContinuousVp());
        var inEps = Guided(adapter, new ClassifierFreeGuidanceOptions { Scale = 4, Space = GuidanceSpace.Epsilon });
        var inData = Guided(adapter, new ClassifierFreeGuidanceOptions { Scale = 4, Space = GuidanceSpace.Data });
        using var x = X(3);
        using var labels = tensor(Labels);
        var a = inEps.Predict(x, 0.3, new Conditioning(labels));
        var b = inData.Predict(x, 0.3, new Conditioning(labels));
        Assert.True(a.Epsilon.allclose(b.Epsilon, rtol: 0, atol: 1e-14) && a.Data.allclose(b.Data, rtol: 0, atol: 1e-14));
        foreach (var t in new[] { a.Epsilon, a.Data, b.Epsilon, b.Data }) t.Dispose();
    }

    /// <summary>Lin et al. 2024 eqs. (15)-(16), evaluated on the host in double from the two exact branches.</summary>
    [Theory]
    [InlineData(GuidanceSpace.Epsilon, 0.7)]
    [InlineData(GuidanceSpace.Data, 0.7)]
    [InlineData(GuidanceSpace.Epsilon, 1.0)]
    public void RescaleFollowsLinEtAl(GuidanceSpace space, double phi)
    {
        // Samples of 4 values ([B, 2, 2]) so each sample's std spans several values.
        using var model = new Plugins.Models.GaussianMixtureModel(new Plugins.Models.GaussianMixtureOptions
        {
            Weights = [0.5, 0.3, 0.2],
            Means = [[-3, -1, 0.5, 0], [3, -1, 0, 1], [0, 4, -1, 0]],
            Stds = [[0.5], [0.4, 0.6, 0.5, 0.3], [0.45]],
            SampleShape = [2, 2],
            Conditional = true,
        });
        var schedule = Mixtures.DiscreteLinear();
        const double scale = 5, t = 0.35;
        double alpha = schedule.Alpha(t), sigma = schedule.Sigma(t);
        var guided = Guided(Mixtures.Adapter(model, schedule), new ClassifierFreeGuidanceOptions { Scale = scale, Rescale = phi, Space = space });
        using var x = randn([Labels.Length, 2, 2], float64, generator: new Generator(5));
        using var labels = tensor(Labels);
        var (eps, data) = guided.Predict(x, t, new Conditioning(labels));

        using var conditional = model.Mixture.Epsilon(x, alpha, sigma, labels);
        using var unconditional = model.Mixture.Epsilon(x, alpha, sigma);
        double[] c = conditional.reshape(-1).data<double>().ToArray(), u = unconditional.reshape(-1).data<double>().ToArray();
        double[] xs = x.reshape(-1).data<double>().ToArray();
        if (space == GuidanceSpace.Data)
        {
            // x_0 of each branch; the same equations then act on x_0.
            c = c.Select((e, i) => (xs[i] - sigma * e) / alpha).ToArray();
            u = u.Select((e, i) => (xs[i] - sigma * e) / alpha).ToArray();
        }
        var expected = new double[c.Length];
        for (int b = 0; b < Labels.Length; b++)
        {
            var positive = c.Skip(4 * b).Take(4).ToArray();
            var cfg = Enumerable.Range(0, 4).Select(j => u[4 * b + j] + scale * (c[4 * b + j] - u[4 * b + j])).ToArray();
            double ratio = Std(positive) / Std(cfg);
            for (int j = 0; j < 4; j++) expected[4 * b + j] = phi * (cfg[j] * ratio) + (1 - phi) * cfg[j];   // eq. (15) inside eq. (16)
        }
        var actual = (space == GuidanceSpace.Epsilon ? eps : data).reshape(-1).data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-11);

        // The other prediction is converted from the rescaled one.
        using var other = space == GuidanceSpace.Epsilon ? (x - sigma * eps) / alpha : (x - alpha * data) / sigma;
        Assert.True(other.allclose(space == GuidanceSpace.Epsilon ? data : eps, rtol: 0, atol: 1e-10));
        if (phi == 1.0)
        {
            // Fully rescaled: each sample's guided spread equals the conditional one's.
            using var s1 = eps.reshape(Labels.Length, -1).std(1, unbiased: false);
            using var s2 = conditional.reshape(Labels.Length, -1).std(1, unbiased: false);
            Assert.True(s1.allclose(s2, rtol: 1e-12, atol: 0));
        }
        eps.Dispose(); data.Dispose();
    }

    static double Std(double[] v)
    {
        double m = v.Average();
        return Math.Sqrt(v.Select(a => (a - m) * (a - m)).Average());
    }
}
