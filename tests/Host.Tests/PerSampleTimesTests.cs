using Pipeline.Host.Runtime;
using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>Evaluating a batch whose samples sit at different times (AMED's per-sample intermediate times).</summary>
public class PerSampleTimesTests
{
    /// <summary>VE-like toy schedule: alpha = 1, sigma = t.</summary>
    sealed class Ve : INoiseSchedule
    {
        public double TMin => 1e-3;
        public double TMax => 1;
        public int? TrainingSteps => null;
        public bool VariancePreserving => false;
        public double LogAlpha(double t) => 0;
        public double Sigma(double t) => t;
        public double TimeOfLambda(double lambda) => Math.Exp(-lambda);
    }

    /// <summary>A conditional model whose output depends on x, the time and the label, with features of its own.</summary>
    sealed class Toy : IDiffusionModel, IFeatureModel
    {
        public PredictionType Prediction => PredictionType.Epsilon;
        public TimeInput TimeInput => TimeInput.Continuous;
        public long[]? SampleShape => null;
        public int? Classes => 10;
        public int Calls { get; private set; }
        public int FeatureCount => 2;

        public Tensor Forward(Tensor x, ModelTime time, Tensor? labels) => ForwardWithFeatures(x, time, labels).Output;

        public (Tensor Output, Tensor Features) ForwardWithFeatures(Tensor x, ModelTime time, Tensor? labels)
        {
            Calls++;
            using Scalar t = time.T;
            var label = labels!.to_type(x.dtype).unsqueeze(1);
            var output = x.mul(t).add(label);
            return (output, cat([label, full_like(label, time.T)], 1));
        }
    }

    [Fact]
    public void EachSampleIsEvaluatedAtItsOwnTimeWithItsOwnLabelInOneEvaluation()
    {
        var model = new Toy();
        using var labels = tensor(new long[] { 3, 1, 4, 1, 5 });
        using var denoiser = new RunDenoiser(new ModelAdapter(model, new Ve()), new Conditioning(labels));
        using var x = randn([5, 3], float64, generator: new Generator(7));
        double[] times = [0.5, 0.25, 0.5, 0.125, 0.25];

        var output = denoiser.Predict(x, times);
        Assert.Equal(1, denoiser.Evaluations);
        Assert.Equal(3, model.Calls);   // one model call per distinct time
        for (int b = 0; b < 5; b++)
        {
            using var row = x.narrow(0, b, 1);
            using var label = labels.narrow(0, b, 1);
            using var alone = new RunDenoiser(new ModelAdapter(model, new Ve()), new Conditioning(label));
            var expected = alone.Predict(row, times[b]);
            Assert.True(output.Epsilon.narrow(0, b, 1).allclose(expected.Epsilon, rtol: 0, atol: 1e-15), $"eps of sample {b}");
            Assert.True(output.Data.narrow(0, b, 1).allclose(expected.Data, rtol: 0, atol: 1e-15), $"x0 of sample {b}");
            Assert.True(output.Features!.narrow(0, b, 1).allclose(expected.Features!, rtol: 0, atol: 0), $"features of sample {b}");
        }
    }

    [Fact]
    public void OneTimeForAllIsAnOrdinaryEvaluation()
    {
        var model = new Toy();
        using var labels = tensor(new long[] { 2, 7 });
        using var denoiser = new RunDenoiser(new ModelAdapter(model, new Ve()), new Conditioning(labels));
        using var x = randn([2, 3], float64, generator: new Generator(8));
        var both = denoiser.Predict(x, [0.3, 0.3]);
        var plain = denoiser.Predict(x, 0.3);
        Assert.Equal(2, model.Calls);
        Assert.True(both.Epsilon.eq(plain.Epsilon).all().item<bool>());
    }

    [Fact]
    public void ADenoiserThatBindsNoPerSampleTimesSaysSo()
    {
        IDenoiser plain = new OneTime();
        using var x = zeros(2, 3);
        Assert.Throws<NotSupportedException>(() => plain.Predict(x, [0.3, 0.4]));
        Assert.Throws<ArgumentException>(() => plain.Predict(x, [0.3]));
    }

    sealed class OneTime : IDenoiser
    {
        public INoiseSchedule Schedule => new Ve();
        public ModelOutput Predict(Tensor x, double t) => new(x, x);
    }
}
