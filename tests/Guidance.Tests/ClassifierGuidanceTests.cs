using Pipeline.Models;
using Pipeline.Plugins.Guidance.ClassifierFree;
using Pipeline.Plugins.Guidance.Classifier;
using Pipeline.Plugins.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

public class ClassifierGuidanceTests
{
    static readonly long[] Labels = [0, 1, 2, 0, -1, 2];

    static IConditionalDenoiser Guided(IConditionalDenoiser inner, ClassifierGuidanceOptions options)
    {
        var guidance = new ClassifierGuidance(options);
        Assert.Empty(guidance.Check(inner));
        return guidance.Wrap(inner);
    }

    [Fact]
    public void PosteriorIsTheLogOfTheResponsibilitiesAndItsGradientTheNoiseDifference()
    {
        using var model = Mixtures.Separated();
        var classifier = model.Classifier("GMM-Posterior")!;
        Assert.Equal(3, classifier.Classes);
        using var x = randn([5, 2], float64, generator: new Generator(2)) * 2;
        const double alpha = 0.8, sigma = 0.6;
        var time = new ModelTime(0.5, alpha, sigma, 0.5);

        using var responsibilities = model.Mixture.Responsibilities(x, alpha, sigma);
        using var logP = classifier.LogProbabilities(x, time);
        using var logR = responsibilities.log();
        Assert.True(logP.allclose(logR, rtol: 1e-12, atol: 1e-12));

        // grad log p(k | x_t) = grad log p_t(x | k) - grad log p_t(x) = (eps - eps_k) / sigma, since eps = -sigma grad log p.
        using var unconditional = model.Mixture.Epsilon(x, alpha, sigma);
        for (long k = 0; k < 3; k++)
        {
            using var input = x.detach().requires_grad_(true);
            using var selected = classifier.LogProbabilities(input, time).select(1, k).sum();
            var grad = autograd.grad([selected], [input])[0];
            using var labels = full([5], k, int64);
            using var conditional = model.Mixture.Epsilon(x, alpha, sigma, labels);
            using var expected = (unconditional - conditional) / sigma;
            Assert.True(grad.allclose(expected, rtol: 1e-10, atol: 1e-10));
            grad.Dispose();
        }
    }

    /// <summary>With the exact posterior, eps - s sigma grad log p(y | x) = eps + s (eps_y - eps): classifier guidance is cfg.</summary>
    [Theory]
    [InlineData(1.0, "discrete")]
    [InlineData(3.0, "discrete")]
    [InlineData(0.5, "ve")]
    [InlineData(2.0, "vp")]
    public void ExactClassifierGuidanceEqualsClassifierFreeGuidance(double scale, string scheduleName)
    {
        INoiseSchedule schedule = scheduleName switch { "ve" => Mixtures.Ve(), "vp" => Mixtures.ContinuousVp(), _ => Mixtures.DiscreteLinear() };
        using var model = Mixtures.Separated();
        var adapter = Mixtures.Adapter(model, schedule);
        var classifierGuided = Guided(adapter, new ClassifierGuidanceOptions { Classifier = "gmm-posterior", Scale = scale });
        var cfg = new ClassifierFreeGuidance(new ClassifierFreeGuidanceOptions { Scale = scale }).Wrap(adapter);
        double t = scheduleName == "ve" ? 1.5 : 0.3;
        using var x = randn([Labels.Length, 2], float64, generator: new Generator(4)) * (scheduleName == "ve" ? 2 : 1);
        using var labels = tensor(Labels);
        var a = classifierGuided.Predict(x, t, new Conditioning(labels));
        var b = cfg.Predict(x, t, new Conditioning(labels));
        Assert.True(a.Epsilon.allclose(b.Epsilon, rtol: 1e-9, atol: 1e-9), $"eps differ by {(a.Epsilon - b.Epsilon).abs().max().item<double>():E2}");
        Assert.True(a.Data.allclose(b.Data, rtol: 1e-9, atol: 1e-9), $"x0 differ by {(a.Data - b.Data).abs().max().item<double>():E2}");
        foreach (var tensor in new[] { a.Epsilon, a.Data, b.Epsilon, b.Data }) tensor.Dispose();
    }

    [Fact]
    public void OneModelCallAndOneDifferentiatedClassifierPassPerEvaluation()
    {
        using var gmm = Mixtures.Separated();
        var model = new CountingClassifierModel(gmm);
        var schedule = Mixtures.DiscreteLinear();
        var counting = new CountingDenoiser(new Host.Runtime.ModelAdapter(model, schedule));
        var guided = Guided(counting, new ClassifierGuidanceOptions { Classifier = "gmm-posterior", Scale = 2 });
        using var x = randn([Labels.Length, 2], float32, generator: new Generator(6));
        using var labels = tensor(Labels);
        double[] times = [0.9, 0.5, 0.1];
        foreach (var t in times)
        {
            var (eps, data) = guided.Predict(x, t, new Conditioning(labels));
            Assert.False(eps.requires_grad || data.requires_grad);
            Assert.Equal(ScalarType.Float32, eps.dtype);
            eps.Dispose(); data.Dispose();
        }
        Assert.Equal(times.Length, counting.Calls.Count);
        Assert.All(counting.Calls, c => Assert.Equal(Labels.Length, c.Batch));
        // The model is evaluated unconditionally by default: p_t(x) p_t(y | x)^s.
        Assert.All(counting.Calls, c => Assert.All(c.Labels!, l => Assert.Equal(Conditioning.NullLabel, l)));
        Assert.Equal(times.Length, model.Forwards);
        Assert.Equal(times.Length, model.InputsRequiringGrad);
        Assert.Equal(times, model.Times.Select(m => m.T));
        Assert.Equal(times.Select(schedule.Sigma), model.Times.Select(m => m.Sigma));
    }

    [Fact]
    public void ConditionModelPassesTheLabelsToTheModel()
    {
        using var gmm = Mixtures.Separated();
        var counting = new CountingDenoiser(Mixtures.Adapter(gmm, Mixtures.DiscreteLinear()));
        var guided = Guided(counting, new ClassifierGuidanceOptions { Classifier = "gmm-posterior", ConditionModel = true });
        using var x = randn([Labels.Length, 2], float64, generator: new Generator(6));
        using var labels = tensor(Labels);
        var (eps, data) = guided.Predict(x, 0.4, new Conditioning(labels));
        Assert.Equal(Labels, counting.Calls.Single().Labels!);
        eps.Dispose(); data.Dispose();
    }

    [Fact]
    public void SamplesWithTheNullLabelAreNotGuided()
    {
        using var gmm = Mixtures.Separated();
        var schedule = Mixtures.DiscreteLinear();
        var guided = Guided(Mixtures.Adapter(gmm, schedule), new ClassifierGuidanceOptions { Classifier = "gmm-posterior", Scale = 4 });
        using var x = randn([Labels.Length, 2], float64, generator: new Generator(8));
        using var labels = tensor(Labels);
        double t = 0.3;
        var (eps, data) = guided.Predict(x, t, new Conditioning(labels));
        using var unconditional = gmm.Mixture.Epsilon(x, schedule.Alpha(t), schedule.Sigma(t));
        Assert.True(Tensors.Same(eps[4], unconditional[4]));
        Assert.False(eps[0].allclose(unconditional[0], rtol: 0, atol: 1e-3));
        eps.Dispose(); data.Dispose();
    }
}
