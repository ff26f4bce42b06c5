using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Metrics;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Data;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Plugins.Models.Metrics;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Metrics;

[Plugin(PluginKinds.Metric, "mnist-fid", Aliases = "mnist-frechet,fid-mnist",
    Summary = "Frechet distance of LeNet features between samples and the held-out MNIST digits; LeNet accuracy and per-class diversity at the requested labels")]
public sealed class MnistFidExport : PluginExport<MnistFid, MnistFidOptions>;

public sealed class MnistFidOptions
{
    [Description("LeNet checkpoint written by 'train'; a relative path is searched like the model's (default models/mnist-lenet.ckpt)")]
    [FilePath(SearchParents = true)]
    public string Classifier { get; set; } = DefaultFiles.LeNetCheckpoint;

    [Description("MNIST folder in any layout the reader takes (see docs/mnist.md); its held-out digits (the last 100 of each class) are the reference. Default: the shipped copy of those 1000 digits, models/mnist-heldout, searched like the classifier")]
    [FilePath(SearchParents = true, Directory = true)]
    public string Data { get; set; } = DefaultFiles.HeldOutFolder;

    [Description("images per LeNet evaluation"), Range(1, 100_000)]
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Scores image samples [N, 1, 28, 28] in [-1, 1] (clamped there) by the Frechet distance between the LeNet's
/// penultimate features of the samples and of the 1000 held-out digits (the last 100 of each class, never
/// trained on), "frechet-distance", lower is better; and, when the run has labels, the fraction of labelled
/// samples the LeNet classifies as their label, "accuracy", higher is better. With N samples the distance
/// carries an estimation bias of order 1/N; compare runs with the same N.
/// </summary>
public sealed class MnistFid : IMergeableMetric, IDisposable
{
    static readonly ConcurrentDictionary<(string, string), (double[] Mean, double[] Covariance, long Count, double[] ClassSpread)> References = new();

    readonly LeNet classifier;
    readonly Device device;
    readonly int batchSize;
    readonly Tensor referenceMean;
    readonly Tensor referenceCovariance;
    readonly double[] referenceSpread;

    public MnistFid(MnistFidOptions options, RunEnvironment environment)
    {
        device = environment.Device;
        batchSize = options.BatchSize;
        var file = DefaultFiles.Resolve(options.Classifier, environment.BaseDirectory);
        CheckpointInfo info;
        try
        {
            classifier = (LeNet)MnistCheckpoint.Load(file, out info, MnistNetworks.LeNet, device);
        }
        catch (PipelineInputException e)
        {
            throw new PipelineInputException(e.Message, "$.metrics.classifier", e);
        }
        HeldOutCount = 0;
        try
        {
            var folder = DefaultFiles.Resolve(options.Data, environment.BaseDirectory, directory: true);
            var reference = References.GetOrAdd((info.WeightsSha256, folder), _ =>
            {
                using var digits = MnistDigits.Load(folder);
                var (images, labels) = digits.HeldOut();
                using var _images = images;
                using var _labels = labels;
                using var features = Features(images);
                var (mean, covariance) = FrechetDistance.Statistics(features);
                using var _m = mean;
                using var _c = covariance;
                return (mean.data<double>().ToArray(), covariance.data<double>().ToArray(), images.shape[0], ClassSpread(features, labels));
            });
            long d = reference.Mean.Length;
            referenceMean = tensor(reference.Mean, float64);
            referenceCovariance = tensor(reference.Covariance, float64).reshape(d, d);
            HeldOutCount = reference.Count;
            referenceSpread = reference.ClassSpread;
        }
        catch (PipelineInputException e)
        {
            classifier.Dispose();
            throw new PipelineInputException(e.Message, "$.metrics.data", e);
        }
    }

    /// <summary>Number of held-out digits the reference statistics come from.</summary>
    public long HeldOutCount { get; }

    public IEnumerable<string> Check(MetricPlan plan)
    {
        if (plan.SampleShape.Aggregate(1L, (a, b) => a * b) != MnistDigits.ImagePixels)
            yield return $"the mnist-fid metric scores 28x28 images, but the samples have shape [{string.Join(", ", plan.SampleShape)}]; use it with the mnist-unet model";
    }

    public IReadOnlyDictionary<string, double> Score(MetricContext context)
    {
        using var scope = NewDisposeScope();
        var images = Images(context.Samples);
        var features = Features(images, context.Cancellation);
        var (mean, covariance) = FrechetDistance.Statistics(features);
        var scores = new Dictionary<string, double>
        {
            ["frechet-distance"] = FrechetDistance.Between(mean, covariance, referenceMean, referenceCovariance),
        };
        if (context.Labels is { } labels)
        {
            if (Accuracy(images, labels, context.Cancellation) is double accuracy) scores["accuracy"] = accuracy;
            if (Diversity(features, labels) is double diversity) scores["diversity"] = diversity;
        }
        return scores;
    }

    /// <summary>
    /// The sums the scores need, for shards of a run: the feature moment sums ("feature-*", <see cref="MomentSums"/>) and,
    /// with labels, the labelled and correctly classified counts and per class c below the held-out classes its count,
    /// feature sum and sum of squared feature norms, from which tr Cov_c = (q_c - |s_c|^2 / n_c) / (n_c - 1).
    /// </summary>
    public MetricStatistics Accumulate(MetricContext context)
    {
        using var scope = NewDisposeScope();
        var images = Images(context.Samples);
        var features = Features(images, context.Cancellation).to_type(float64);
        var statistics = MomentSums.Add(new MetricStatistics(), "feature", features);
        if (context.Labels is not { } labels) return statistics;
        var wanted = labels.to_type(int64).cpu();
        using Scalar zero = 0L;
        var labelled = wanted.ge(zero);
        var predicted = Predict(images, context.Cancellation);
        statistics.Set("labelled", [labelled.sum().item<long>()]);
        statistics.Set("correct", [predicted.eq(wanted).logical_and(labelled).sum().item<long>()]);
        int classes = referenceSpread.Length;
        long d = features.shape[1];
        var counts = new double[classes];
        var sums = new double[classes * d];
        var squares = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            using Scalar label = (long)c;
            var rows = features.index_select(0, wanted.eq(label).nonzero().squeeze(1));
            counts[c] = rows.shape[0];
            rows.sum([0]).data<double>().ToArray().CopyTo(sums, c * d);
            squares[c] = rows.Squared().sum().item<double>();
        }
        return statistics.Set("class-count", counts).Set("class-feature-sum", sums).Set("class-square-sum", squares);
    }

    /// <summary>The scores of <see cref="Score(MetricContext)"/> from the added sums of every shard.</summary>
    public IReadOnlyDictionary<string, double> Score(MetricStatistics statistics, MetricPlan plan)
    {
        using var scope = NewDisposeScope();
        var (mean, covariance) = MomentSums.Moments(statistics, "feature");
        var scores = new Dictionary<string, double>
        {
            ["frechet-distance"] = FrechetDistance.Between(mean, covariance, referenceMean, referenceCovariance),
        };
        if (!statistics.Sums.ContainsKey("labelled")) return scores;
        double labelled = statistics["labelled"][0];
        if (labelled > 0) scores["accuracy"] = statistics["correct"][0] / labelled;
        var counts = statistics["class-count"];
        var sums = statistics["class-feature-sum"];
        var squares = statistics["class-square-sum"];
        int d = sums.Length / Math.Max(1, counts.Length);
        var ratios = new List<double>();
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] < 2 || !(referenceSpread[c] > 0)) continue;
            double norm = 0;
            for (int j = 0; j < d; j++) norm += sums[c * d + j] * sums[c * d + j];
            ratios.Add((squares[c] - norm / counts[c]) / (counts[c] - 1) / referenceSpread[c]);
        }
        if (ratios.Count > 0) scores["diversity"] = ratios.Average();
        return scores;
    }

    /// <summary>
    /// Per class c, the total variance tr Cov(features) of the samples asked for label c over that of the held-out digits
    /// of class c, averaged over the classes with at least two samples: 1 when the samples of each class vary as much as
    /// real digits of that class, towards 0 when a class collapses onto few images (mode collapse, which the Frechet
    /// distance of all classes together can hide). Null without two samples of any class.
    /// </summary>
    public double? Diversity(Tensor features, Tensor labels)
    {
        var spread = ClassSpread(features, labels.to_type(int64).cpu());
        var ratios = spread.Select((v, c) => (v, c)).Where(p => double.IsFinite(p.v) && p.c < referenceSpread.Length && referenceSpread[p.c] > 0)
            .Select(p => p.v / referenceSpread[p.c]).ToList();
        return ratios.Count == 0 ? null : ratios.Average();
    }

    /// <summary>tr Cov of the features of each label 0 .. max (unbiased; NaN for a label with fewer than two rows).</summary>
    static double[] ClassSpread(Tensor features, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var wanted = labels.to_type(int64).cpu();
        long classes = wanted.numel() == 0 ? 0 : Math.Max(0, wanted.max().item<long>() + 1);
        var spread = new double[classes];
        for (long c = 0; c < classes; c++)
        {
            using Scalar label = c;
            var rows = wanted.eq(label).nonzero().squeeze(1);
            spread[c] = rows.numel() < 2 ? double.NaN
                : features.index_select(0, rows).to_type(float64).var(0, unbiased: true).sum().item<double>();
        }
        return spread;
    }

    /// <summary>LeNet's accuracy at recognising <paramref name="labels"/> (-1 entries skipped); null when none is labelled.</summary>
    public double? Accuracy(Tensor images, Tensor labels, CancellationToken cancellation = default)
    {
        using var scope = NewDisposeScope();
        var wanted = labels.to_type(int64).cpu();
        using Scalar zero = 0L;
        var labelled = wanted.ge(zero);
        long count = labelled.sum().item<long>();
        if (count == 0) return null;
        var predicted = Predict(images, cancellation);
        long correct = predicted.eq(wanted).logical_and(labelled).sum().item<long>();
        return (double)correct / count;
    }

    /// <summary>LeNet's predicted labels [N] on the CPU.</summary>
    public Tensor Predict(Tensor images, CancellationToken cancellation = default) => Batched(images, x => classifier.forward(x).argmax(1), cancellation);

    /// <summary>LeNet's penultimate features [N, D] on the CPU, in float32.</summary>
    public Tensor Features(Tensor images, CancellationToken cancellation = default) => Batched(images, classifier.Features, cancellation);

    Tensor Batched(Tensor images, Func<Tensor, Tensor> f, CancellationToken cancellation)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var parts = new List<Tensor>();
        long n = images.shape[0];
        for (long start = 0; start < n; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = images.narrow(0, start, Math.Min(batchSize, n - start)).to(ScalarType.Float32, device);
            parts.Add(f(batch).cpu());
        }
        return scope.MoveToOuter(cat(parts, 0));
    }

    /// <summary>Samples as LeNet input: [N, 1, 28, 28] float32 in [-1, 1], non-finite values at 0.</summary>
    static Tensor Images(Tensor samples)
    {
        long n = samples.shape[0];
        if (samples.numel() != n * MnistDigits.ImagePixels)
            throw new PipelineInputException(
                $"the mnist-fid metric scores 28x28 images, but the samples have shape [{string.Join(", ", samples.shape.Skip(1))}]; use it with the mnist-unet model", "$.metrics");
        using var scope = NewDisposeScope();
        using Scalar minusOne = -1.0, one = 1.0;
        var images = samples.to_type(ScalarType.Float32).reshape(n, 1, MnistDigits.Side, MnistDigits.Side).nan_to_num(0, 1, -1).clamp(minusOne, one);
        return scope.MoveToOuter(images);
    }

    public void Dispose()
    {
        classifier.Dispose();
        referenceMean.Dispose();
        referenceCovariance.Dispose();
    }
}
