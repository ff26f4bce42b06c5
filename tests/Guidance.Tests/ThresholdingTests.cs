using Pipeline.Models;
using Pipeline.Plugins.Guidance.Thresholding;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

public class ThresholdingTests
{
    /// <summary>A stand-in whose x_0 prediction is a fixed tensor (eps consistent with it).</summary>
    sealed class FixedData(Tensor data, INoiseSchedule schedule) : IConditionalDenoiser
    {
        public INoiseSchedule Schedule => schedule;
        public IDiffusionModel Model => throw new NotSupportedException();

        public ModelOutput Predict(Tensor x, double t, Conditioning conditioning) =>
            new(PredictionConversion.EpsilonFromData(x, data, schedule.Alpha(t), schedule.Sigma(t)), data.clone());
    }

    static readonly INoiseSchedule Schedule = Mixtures.DiscreteLinear();
    const double T = 0.3;

    static ModelOutput Threshold(IConditionalDenoiser guided, Tensor x) => guided.Predict(x, T, Conditioning.None);

    static void AssertEpsilonMatches(ModelOutput output, Tensor x)
    {
        using var expected = (x - Schedule.Alpha(T) * output.Data) / Schedule.Sigma(T);
        Assert.True(output.Epsilon.allclose(expected, rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void PercentileOneWithMaxValueOneClampsIntoTheUnitRangeExactly()
    {
        using var data = randn([8, 3, 4], float64, generator: new Generator(1)) * 2;
        using var x = randn([8, 3, 4], float64, generator: new Generator(2));
        var guided = new DynamicThresholding(new DynamicThresholdingOptions { Percentile = 1.0, MaxValue = 1.0 })
            .Wrap(new FixedData(data, Schedule));
        var output = Threshold(guided, x);
        using var expected = data.clamp(-1.0, 1.0);
        Assert.True(Tensors.Same(output.Data, expected));
        Assert.True(data.abs().max().item<double>() > 3); // the case does clamp
        AssertEpsilonMatches(output, x);
        output.Epsilon.Dispose(); output.Data.Dispose();
    }

    [Fact]
    public void LeavesDataInsideTheUnitRangeUnchanged()
    {
        using var data = rand([8, 5], float64, generator: new Generator(3)) * 2 - 1;
        using var x = randn([8, 5], float64, generator: new Generator(4));
        var guided = new DynamicThresholding(new DynamicThresholdingOptions()).Wrap(new FixedData(data, Schedule));
        var output = Threshold(guided, x);
        Assert.True(Tensors.Same(output.Data, data));
        AssertEpsilonMatches(output, x);
        output.Epsilon.Dispose(); output.Data.Dispose();
    }

    /// <summary>s from the order statistics on the host (linear interpolation, as numpy.percentile), then clamp and divide.</summary>
    [Theory]
    [InlineData(0.9, null)]
    [InlineData(0.995, null)]
    [InlineData(0.8, 1.5)]
    public void DividesByThePercentileOfEachSample(double percentile, double? maxValue)
    {
        const int batch = 6, size = 40;
        using var data = randn([batch, size], float64, generator: new Generator(5)) * torch.linspace(0.3, 3.0, batch, float64).unsqueeze(1);
        using var x = randn([batch, size], float64, generator: new Generator(6));
        var guided = new DynamicThresholding(new DynamicThresholdingOptions { Percentile = percentile, MaxValue = maxValue })
            .Wrap(new FixedData(data, Schedule));
        var output = Threshold(guided, x);
        var values = data.data<double>().ToArray();
        var actual = output.Data.data<double>().ToArray();
        int raised = 0;
        for (int b = 0; b < batch; b++)
        {
            var row = values.Skip(b * size).Take(size).ToArray();
            var sorted = row.Select(Math.Abs).Order().ToArray();
            double position = percentile * (size - 1);
            int lo = (int)Math.Floor(position), hi = Math.Min(lo + 1, size - 1);
            double s = sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
            s = Math.Max(s, 1.0);
            if (maxValue is double max) s = Math.Min(s, max);
            if (s > 1) raised++;
            for (int i = 0; i < size; i++)
                Assert.Equal(Math.Clamp(row[i], -s, s) / s, actual[b * size + i], 1e-12);
        }
        Assert.InRange(raised, 1, batch - 1); // some samples are rescaled, some only clamped
        AssertEpsilonMatches(output, x);
        output.Epsilon.Dispose(); output.Data.Dispose();
    }

    [Fact]
    public void StaticClippingClampsToTheValue()
    {
        using var data = randn([8, 4], float64, generator: new Generator(7)) * 3;
        using var x = randn([8, 4], float64, generator: new Generator(8));
        var guided = new StaticClipping(new StaticClippingOptions { Value = 2.5 }).Wrap(new FixedData(data, Schedule));
        var output = Threshold(guided, x);
        using var expected = data.clamp(-2.5, 2.5);
        Assert.True(Tensors.Same(output.Data, expected));
        AssertEpsilonMatches(output, x);
        output.Epsilon.Dispose(); output.Data.Dispose();
    }

    [Fact]
    public void Float32DataIsThresholdedInItsOwnType()
    {
        using var data = randn([4, 16], float32, generator: new Generator(9)) * 3;
        using var x = randn([4, 16], float32, generator: new Generator(10));
        var guided = new DynamicThresholding(new DynamicThresholdingOptions { Percentile = 0.9 }).Wrap(new FixedData(data, Schedule));
        var output = Threshold(guided, x);
        Assert.Equal(ScalarType.Float32, output.Data.dtype);
        Assert.True(output.Data.abs().max().item<float>() <= 1f);
        output.Epsilon.Dispose(); output.Data.Dispose();
    }
}
