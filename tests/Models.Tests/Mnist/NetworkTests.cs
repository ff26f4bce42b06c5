using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

public class NetworkTests
{
    internal static MnistUnetConfig TinyUnet => new() { Channels = 8, ChannelMultipliers = [1, 2], Groups = 4, AttentionHeads = 2, Dropout = 0 };

    /// <summary>Every parameter drawn at random, so no zero-initialised layer hides what the inputs do.</summary>
    internal static void Scramble(nn.Module network, int seed)
    {
        using var _ = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var p in network.parameters()) p.copy_(randn(p.shape, generator: generator).mul_(0.2));
    }

    [Fact]
    public void TheShippedUnetSizeStaysSmall()
    {
        using var unet = new MnistUnet(new MnistUnetConfig());
        long parameters = MnistNetworks.ParameterCount(unet);
        Assert.InRange(parameters, 500_000, 2_000_000);
        Assert.True(parameters * 4 < 8_000_000, $"{parameters} float32 parameters are {parameters * 4 / 1e6:0.0} MB");
    }

    [Fact]
    public void TheUnetPredictsNoiseShapedLikeItsInputAndReadsTimeAndLabel()
    {
        using var unet = new MnistUnet(TinyUnet);
        Scramble(unet, 1);
        unet.eval();
        using var x = randn([3, 1, 28, 28], generator: new Generator(2));
        using var steps = tensor(new float[] { 0, 500, 999 });
        using var labels = tensor(new long[] { 1, 2, 3 });
        using var eps = unet.forward(x, steps, labels);
        Assert.Equal(x.shape, eps.shape);
        Assert.True(eps.isfinite().all().item<bool>());

        using var otherLabels = tensor(new long[] { 4, 2, 3 });
        using var eps2 = unet.forward(x, steps, otherLabels);
        Assert.True(eps2[0].sub(eps[0]).abs().max().item<float>() > 1e-4, "the label must change the prediction");
        Assert.True(eps2[1].sub(eps[1]).abs().max().item<float>() < 1e-6, "samples are independent of each other");
        using var otherSteps = tensor(new float[] { 10, 500, 999 });
        using var eps3 = unet.forward(x, otherSteps, labels);
        Assert.True(eps3[0].sub(eps[0]).abs().max().item<float>() > 1e-4, "the step must change the prediction");
    }

    [Fact]
    public void LabelMinusOneIsTheNullLabelRow()
    {
        using var unet = new MnistUnet(TinyUnet);
        Scramble(unet, 3);
        unet.eval();
        using var x = randn([2, 1, 28, 28], generator: new Generator(4));
        using var steps = tensor(new float[] { 300, 300 });
        using var none = tensor(new long[] { -1, -1 });
        using var nullRow = tensor(new long[] { 10, 10 });
        using var a = unet.forward(x, steps, none);
        using var b = unet.forward(x, steps, nullRow);
        Assert.True(a.eq(b).all().item<bool>());
    }

    [Fact]
    public void TheNewUnetStartsAtZeroNoise()
    {
        // Zero-initialised output layer: the untrained loss is E[eps^2] = 1, a known start.
        using var unet = new MnistUnet(TinyUnet);
        using var x = randn([2, 1, 28, 28]);
        using var eps = unet.forward(x, tensor(new float[] { 1, 2 }), tensor(new long[] { 0, 1 }));
        Assert.Equal(0, eps.abs().max().item<float>());
    }

    [Fact]
    public void ClassifiersGiveLogitsAndLeNetGivesItsFeatures()
    {
        using var noisy = new NoisyClassifier(new NoisyClassifierConfig { Channels = 8, Groups = 4 });
        using var lenet = new LeNet(new LeNetConfig { Conv1 = 4, Conv2 = 8, Features = 16 });
        using var x = randn([5, 1, 28, 28]);
        using var steps = full(5, 100f);
        using var logits = noisy.forward(x, steps);
        Assert.Equal(new long[] { 5, 10 }, logits.shape);
        using var logp = noisy.LogProbability(x, steps, tensor(new long[] { 0, 1, 2, 3, 4 }));
        Assert.Equal(new long[] { 5 }, logp.shape);
        Assert.True(logp.le(0).all().item<bool>());
        lenet.eval();
        using var classes = lenet.forward(x);
        using var features = lenet.Features(x);
        Assert.Equal(new long[] { 5, 10 }, classes.shape);
        Assert.Equal(new long[] { 5, 16 }, features.shape);
        Assert.True(features.ge(0).all().item<bool>(), "features are ReLU outputs");
    }

    [Fact]
    public void ArchitecturesAreCheckedWithTheKeyAtFault()
    {
        var unknown = Assert.Throws<PipelineInputException>(() => MnistNetworks.Create(MnistNetworks.Unet, "{ \"chanels\": 16 }"));
        Assert.Contains("chanels", unknown.Message);
        Assert.Contains("channels", unknown.Message);
        var groups = Assert.Throws<PipelineInputException>(() => MnistNetworks.Create(MnistNetworks.Unet, "{ \"channels\": 12, \"groups\": 8 }"));
        Assert.Equal("$.groups", groups.Path);
        var range = Assert.Throws<PipelineInputException>(() => MnistNetworks.Create(MnistNetworks.LeNet, "{ \"features\": 1 }"));
        Assert.Equal("$.features", range.Path);
        Assert.Throws<PipelineInputException>(() => MnistNetworks.Create("mnist-vae", null));
    }
}
