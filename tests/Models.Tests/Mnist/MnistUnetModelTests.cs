using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

public class MnistUnetModelTests
{
    /// <summary>temp/models/mnist-unet.ckpt (a scrambled tiny UNet) and the folder temp/examples for definitions.</summary>
    static (string Examples, MnistUnet Network) Layout(TempFolder temp)
    {
        var unet = new MnistUnet(NetworkTests.TinyUnet);
        NetworkTests.Scramble(unet, 9);
        unet.eval();
        MnistCheckpoint.Save(unet, Path.Combine(temp.Path, "models", "mnist-unet.ckpt"));
        var examples = Path.Combine(temp.Path, "examples");
        Directory.CreateDirectory(examples);
        return (examples, unet);
    }

    [Fact]
    public void ARelativeCheckpointIsFoundAboveTheDefinitionsFolderAndEvaluatesTheNetwork()
    {
        using var temp = new TempFolder();
        var (examples, network) = Layout(temp);
        using var _ = network;
        using var model = new MnistUnetModel(new MnistUnetModelOptions(), new RunEnvironment(CPU, float32, examples));
        Assert.Equal(Path.Combine(temp.Path, "models", "mnist-unet.ckpt"), model.File);
        Assert.Equal(PredictionType.Epsilon, model.Prediction);
        Assert.Equal(TimeInput.DiscreteIndex, model.TimeInput);
        Assert.Equal(10, model.Classes);
        Assert.Equal(new long[] { 1, 28, 28 }, model.SampleShape);

        using var x = randn([2, 1, 28, 28], generator: new Generator(1));
        var time = new ModelTime(0.4, 0.7, 0.71, 399);
        using var labels = tensor(new long[] { 3, -1 });
        using var eps = model.Forward(x, time, labels);
        using var expected = network.forward(x, full(2, 399f), labels);
        Assert.True(eps.eq(expected).all().item<bool>());

        using var unconditional = model.Forward(x, time, null);
        using var nullLabels = model.Forward(x, time, tensor(new long[] { -1, -1 }));
        Assert.True(unconditional.eq(nullLabels).all().item<bool>());
    }

    [Fact]
    public void TheBottleneckFeaturesComeWithTheSamePrediction()
    {
        using var temp = new TempFolder();
        var (examples, network) = Layout(temp);
        using var _ = network;
        using var model = new MnistUnetModel(new MnistUnetModelOptions(), new RunEnvironment(CPU, float32, examples));
        using var x = randn([3, 1, 28, 28], generator: new Generator(2));
        var time = new ModelTime(0.4, 0.7, 0.71, 399);
        using var labels = tensor(new long[] { 3, -1, 8 });
        using var eps = model.Forward(x, time, labels);
        var (withFeatures, features) = model.ForwardWithFeatures(x, time, labels);
        using (withFeatures)
        using (features)
        {
            Assert.True(eps.eq(withFeatures).all().item<bool>());
            Assert.Equal(new long[] { 3, model.FeatureCount }, features.shape);
            Assert.Equal(NetworkTests.TinyUnet.Channels * NetworkTests.TinyUnet.ChannelMultipliers[^1], model.FeatureCount);
            Assert.False(features.requires_grad);
            // Per sample: different digits give different summaries.
            Assert.True(features[0].sub(features[1]).abs().max().item<float>() > 1e-6);
        }
    }

    [Fact]
    public void Float64RunsConvertTheNetwork()
    {
        using var temp = new TempFolder();
        var (examples, network) = Layout(temp);
        using var _ = network;
        using var model = new MnistUnetModel(new MnistUnetModelOptions(), new RunEnvironment(CPU, float64, examples));
        using var x = randn([1, 1, 28, 28], float64);
        using var eps = model.Forward(x, new ModelTime(0.5, 0.6, 0.8, 499), tensor(new long[] { 1 }));
        Assert.Equal(ScalarType.Float64, eps.dtype);
        using var expected = network.forward(x.to_type(float32), full(1, 499f), tensor(new long[] { 1 }));
        Assert.True(eps.to_type(float32).sub(expected).abs().max().item<float>() < 1e-4);
    }

    [Fact]
    public void AMissingCheckpointOrAWrongShapePointsAtTheOption()
    {
        using var temp = new TempFolder();
        var missing = Assert.Throws<PipelineInputException>(() =>
            new MnistUnetModel(new MnistUnetModelOptions { Checkpoint = "nowhere/x.ckpt" }, new RunEnvironment(CPU, float32, temp.Path)));
        Assert.Equal("$.model.checkpoint", missing.Path);

        var (examples, network) = Layout(temp);
        network.Dispose();
        using var model = new MnistUnetModel(new MnistUnetModelOptions(), new RunEnvironment(CPU, float32, examples));
        using var x = randn([2, 784]);
        var shape = Assert.Throws<PipelineInputException>(() => model.Forward(x, new ModelTime(0.5, 0.6, 0.8, 499), null));
        Assert.Contains("[1, 28, 28]", shape.Message);
    }

    [Fact]
    public void ForwardLeavesNothingBehind()
    {
        using var temp = new TempFolder();
        var (examples, network) = Layout(temp);
        network.Dispose();
        using var model = new MnistUnetModel(new MnistUnetModelOptions(), new RunEnvironment(CPU, float32, examples));
        using var x = randn([2, 1, 28, 28]);
        using var labels = tensor(new long[] { 0, -1 });
        var time = new ModelTime(0.5, 0.6, 0.8, 499);
        model.Forward(x, time, labels).Dispose();
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 3; i++)
        {
            using var eps = model.Forward(x, time, labels);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
