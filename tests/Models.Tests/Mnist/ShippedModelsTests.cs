using Pipeline.Metrics;
using Pipeline.Models;
using Pipeline.Plugins.Models.Mnist;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Data;
using Pipeline.Plugins.Models.Mnist.Metrics;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

/// <summary>The checkpoints under models/ and the metric built on them.</summary>
public class ShippedModelsTests
{
    static readonly RunEnvironment Repo = new(CPU, float32, MnistTestData.RepoRoot);

    static MetricContext Context(Tensor samples, Tensor? labels) => new(samples, samples, null!, [1.0, 0.0], labels);

    [Fact]
    public void TheLeNetRecognisesAtLeast98PercentOfTheHeldOutDigits()
    {
        using var fid = new MnistFid(new MnistFidOptions(), Repo);
        using var digits = MnistDigits.Load(MnistTestData.HeldOut);
        var (images, labels) = digits.HeldOut();
        using var _i = images;
        using var _l = labels;
        double accuracy = fid.Accuracy(images, labels)!.Value;
        Assert.True(accuracy >= 0.98, $"held-out accuracy {accuracy}");
        Assert.Equal(1000, fid.HeldOutCount);
    }

    [Fact]
    public void TheHeldOutDigitsAreAtDistanceZeroFromThemselvesAndNoiseIsFar()
    {
        using var fid = new MnistFid(new MnistFidOptions(), Repo);
        using var digits = MnistDigits.Load(MnistTestData.HeldOut);
        var (images, labels) = digits.HeldOut();
        using var _i = images;
        using var _l = labels;
        var self = fid.Score(Context(images, labels));
        // Zero up to the float64 roundoff of the matrix square root (features have variances of order 10-100).
        Assert.InRange(self["frechet-distance"], -1e-4, 1e-4);
        Assert.True(self["accuracy"] >= 0.98);
        // The same digits vary within each class exactly as the reference does.
        Assert.Equal(1.0, self["diversity"], 1e-9);

        // Every other one of the same digits (the held-out set is ordered by class): a real but small distance.
        using var even = arange(0, images.shape[0], 2, dtype: ScalarType.Int64);
        using var half = images.index_select(0, even);
        double halfDistance = new MnistFid(new MnistFidOptions(), Repo).Score(Context(half, null))["frechet-distance"];

        using var noise = rand([1000, 1, 28, 28], generator: new Generator(1)).mul_(2).sub_(1);
        var scores = fid.Score(Context(noise, labels));
        double noiseDistance = scores["frechet-distance"];
        Assert.True(halfDistance > 0 && noiseDistance > 20 * halfDistance, $"half {halfDistance}, noise {noiseDistance}");
        Assert.True(scores["accuracy"] < 0.3, $"noise accuracy {scores["accuracy"]}");
    }

    [Fact]
    public void DiversityShowsAClassThatCollapsedOntoOneImage()
    {
        using var fid = new MnistFid(new MnistFidOptions(), Repo);
        using var digits = MnistDigits.Load(MnistTestData.HeldOut);
        var (images, labels) = digits.HeldOut();
        using var _i = images;
        using var _l = labels;
        // Every sample of a class replaced by that class's first digit: the Frechet distance moves, diversity drops to 0.
        var first = Enumerable.Range(0, 1000).Select(i => (long)labels[i].item<long>()).ToArray();
        var firstOfClass = Enumerable.Range(0, 10).Select(c => (long)Array.IndexOf(first, c)).ToArray();
        using var index = tensor(first.Select(c => firstOfClass[c]).ToArray());
        using var collapsed = images.index_select(0, index);
        var scores = fid.Score(Context(collapsed, labels));
        Assert.InRange(scores["diversity"], 0.0, 1e-9);
        // Half of each class collapsed: diversity between the two.
        var mixed = Enumerable.Range(0, 1000).Select(i => i % 2 == 0 ? (long)i : firstOfClass[first[i]]).ToArray();
        using var halfIndex = tensor(mixed);
        using var halfCollapsed = images.index_select(0, halfIndex);
        double half = fid.Score(Context(halfCollapsed, labels))["diversity"];
        Assert.InRange(half, 0.2, 0.9);
    }

    [Fact]
    public void TheShippedUnetDrawsDigitsTheLeNetRecognises()
    {
        // DDIM (Song et al. 2021, eq. (12) with sigma = 0) with 10 uniform steps, written out here so that
        // this test needs the model plugin only.
        using var model = new MnistUnetModel(new MnistUnetModelOptions(), Repo);
        Pipeline.Schedules.INoiseSchedule schedule = new DiscreteLinearSchedule();
        const int steps = 10, n = 20;
        using var labels = arange(n, int64).remainder(10);
        var x = randn([n, 1, 28, 28], generator: new Generator(3));
        for (int k = 0; k < steps; k++)
        {
            using var scope = NewDisposeScope();
            double t = 1.0 - k * (1.0 - 1e-3) / steps, s = 1.0 - (k + 1) * (1.0 - 1e-3) / steps;
            double a = schedule.Alpha(t), sg = schedule.Sigma(t), aNext = schedule.Alpha(s), sgNext = schedule.Sigma(s);
            var eps = model.Forward(x, new ModelTime(t, a, sg, t * 1000 - 1), labels);
            var x0 = x.sub(eps.mul(sg)).div(a);
            var next = x0.mul(aNext).add(eps.mul(sgNext));
            x.Dispose();
            x = scope.MoveToOuter(next);
        }
        using var samples = x;
        Assert.True(samples.isfinite().all().item<bool>());
        using var fid = new MnistFid(new MnistFidOptions(), Repo);
        double accuracy = fid.Accuracy(samples, labels)!.Value;
        Assert.True(accuracy >= 0.8, $"LeNet recognised {accuracy:P0} of 20 digits drawn with 10 DDIM steps");
    }

    [Fact]
    public void TheShippedCheckpointsRecordHowTheyWereTrained()
    {
        foreach (var (file, network) in new[] { ("mnist-unet.ckpt", MnistNetworks.Unet), ("mnist-lenet.ckpt", MnistNetworks.LeNet),
                     ("mnist-noisy-classifier.ckpt", MnistNetworks.NoisyClassifier) })
        {
            var path = Path.Combine(MnistTestData.Models, file);
            var info = MnistCheckpoint.ReadInfo(path, network);
            Assert.NotNull(info.Training);
            Assert.Equal(network, (string?)info.Training!["definition"]!["network"]);
            Assert.True((int)info.Training["step"]! > 0);
            Assert.True(new FileInfo(path).Length < 8_000_000);
        }
        using var classifier = NoisyClassifier.Load(Path.Combine(MnistTestData.Models, "mnist-noisy-classifier.ckpt"));
        Assert.Equal(10, classifier.Config.Classes);
    }
}
