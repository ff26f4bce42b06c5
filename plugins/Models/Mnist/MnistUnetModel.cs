using System.ComponentModel;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist;

[Plugin(PluginKinds.Model, "mnist-unet", Aliases = "mnist",
    Summary = "Class-conditional MNIST UNet (eps, discrete-index time, 1000-step linear betas) from a checkpoint written by 'train'")]
public sealed class MnistUnetModelExport : PluginExport<MnistUnetModel, MnistUnetModelOptions>;

public sealed class MnistUnetModelOptions
{
    [Description("checkpoint written by 'train' (the .ckpt; its .json lies beside it). A relative path is looked for in the definition's folder and the folders above it, then from the current and the host's folders")]
    [FilePath(SearchParents = true)]
    public string Checkpoint { get; set; } = DefaultFiles.UnetCheckpoint;

    [Description("noisy classifier checkpoint offered to classifier guidance as \"mnist-noisy-classifier\" (loaded only when guidance asks for it); found like the checkpoint")]
    [FilePath(SearchParents = true)]
    public string Classifier { get; set; } = DefaultFiles.NoisyClassifierCheckpoint;

    [Description("structure.json written by the 'autodiffusion' search with \"structure\": true: the blocks skipped at each step (found like the checkpoint); null runs every block")]
    [FilePath(SearchParents = true)]
    public string? Structure { get; set; }
}

/// <summary>
/// The trained <see cref="MnistUnet"/> as a diffusion model: 10 classes, label -1 (no label) the null class of
/// classifier-free guidance, samples [1, 28, 28] in [-1, 1]. It was trained on the discrete linear-beta
/// schedule with 1000 steps (the checkpoint's JSON records the schedule); pair it with
/// { "type": "discrete", "betaSchedule": "linear" }.
/// </summary>
public sealed class MnistUnetModel : IDiffusionModel, IFeatureModel, INoisyClassifierSource, ITrainingData, ISkippableBlocks, IDisposable
{
    readonly MnistUnet network;
    readonly RunEnvironment environment;
    readonly string classifierFile;
    MnistNoisyClassifier? classifier;

    public MnistUnetModel(MnistUnetModelOptions options, RunEnvironment environment)
    {
        this.environment = environment;
        if (string.IsNullOrWhiteSpace(options.Checkpoint))
            throw new PipelineInputException("checkpoint: name the UNet's checkpoint file (default models/mnist-unet.ckpt)", "$.model.checkpoint");
        File = DefaultFiles.Resolve(options.Checkpoint, environment.BaseDirectory);
        try
        {
            network = (MnistUnet)MnistCheckpoint.Load(File, out var info, MnistNetworks.Unet, environment.Device, environment.DType);
            Info = info;
        }
        catch (PipelineInputException e)
        {
            throw new PipelineInputException(e.Message, "$.model.checkpoint", e);
        }
        classifierFile = DefaultFiles.Resolve(options.Classifier, environment.BaseDirectory);
        Blocks = network.SkippableBlocks.Select(b => new SkippableBlock(b.Name, b.Flops / network.TotalFlops)).ToList();
        if (!string.IsNullOrWhiteSpace(options.Structure))
            Structure = BlockStructure.Read(DefaultFiles.Resolve(options.Structure, environment.BaseDirectory), Blocks, "$.model.structure");
    }

    /// <summary>The UNet's residual and attention blocks; each cost is the share of a full evaluation's counted FLOPs that skipping it saves.</summary>
    public IReadOnlyList<SkippableBlock> Blocks { get; }

    public string CostUnit => "counted FLOPs (convolutions, linear layers and attention products from the layer shapes) per sample, in full evaluations";

    public BlockStructure? Structure { get; set; }

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels, IReadOnlyList<bool> skip)
    {
        if (skip.Count != Blocks.Count)
            throw new ArgumentException($"the mask has {skip.Count} entries; mnist-unet has {Blocks.Count} skippable blocks");
        return Run(x, time, labels, withFeatures: false, skip).Output;
    }

    public IReadOnlyList<string> ClassifierNames { get; } = [MnistNoisyClassifier.Name];

    /// <summary>The noisy classifier, loaded on first use (a missing or wrong file is an input error at $.model.classifier).</summary>
    public INoisyClassifier? Classifier(string name)
    {
        if (!string.Equals(name, MnistNoisyClassifier.Name, StringComparison.OrdinalIgnoreCase)) return null;
        if (classifier is null)
        {
            try
            {
                var net = MnistCheckpoint.Load<NoisyClassifier>(classifierFile, MnistNetworks.NoisyClassifier, environment.Device, environment.DType);
                classifier = new MnistNoisyClassifier(net, environment.DType);
            }
            catch (PipelineInputException e)
            {
                throw new PipelineInputException(e.Message, "$.model.classifier", e);
            }
        }
        return classifier;
    }

    /// <summary>The checkpoint file in use.</summary>
    public string File { get; }

    public CheckpointInfo Info { get; }

    public MnistUnet Network => network;

    public PredictionType Prediction => PredictionType.Epsilon;

    public TimeInput TimeInput => TimeInput.DiscreteIndex;

    public long[]? SampleShape => [1, MnistDigitsShape.Side, MnistDigitsShape.Side];

    public int? Classes => network.Config.Classes;

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels) => Run(x, time, labels, withFeatures: false, Structure?.MaskAt(time.T)).Output;

    public int FeatureCount => network.BottleneckChannels;

    /// <summary>eps and the bottleneck averaged over its 7x7 positions (AMED's predictor input).</summary>
    public (Tensor Output, Tensor Features) ForwardWithFeatures(Tensor x, ModelTime time, Tensor? labels)
    {
        var (output, features) = Run(x, time, labels, withFeatures: true, Structure?.MaskAt(time.T));
        return (output, features!);
    }

    (Tensor Output, Tensor? Features) Run(Tensor x, ModelTime time, Tensor? labels, bool withFeatures, IReadOnlyList<bool>? skip)
    {
        if (x.dim() != 4 || x.shape[1] != 1 || x.shape[2] != MnistDigitsShape.Side || x.shape[3] != MnistDigitsShape.Side)
            throw new PipelineInputException(
                $"the mnist-unet model takes samples of shape [1, 28, 28] but was given [{string.Join(", ", x.shape.Skip(1))}]; remove sampling.shape or set it to [1, 28, 28]", "$.sampling.shape");
        using var scope = NewDisposeScope();
        // Without this the weights would record a graph; gradients with respect to x still flow when asked for.
        using var grad = x.requires_grad ? null : no_grad();
        var input = x.dtype == environment.DType ? x : x.to_type(environment.DType);
        using var stepValue = time.Input.ToScalar();
        var steps = full(x.shape[0], stepValue, environment.DType, x.device);
        var conditions = labels is null ? full(x.shape[0], Conditioning.NullLabel, int64, x.device) : labels.to(x.device);
        Tensor eps, features = null!;
        if (withFeatures) (eps, features) = network.ForwardWithBottleneck(input, steps, conditions, skip);
        else eps = network.ForwardSkipping(input, steps, conditions, skip);
        var output = scope.MoveToOuter(eps.dtype == x.dtype ? eps : eps.to_type(x.dtype));
        return (output, withFeatures ? scope.MoveToOuter(features.dtype == x.dtype ? features : features.to_type(x.dtype)) : null);
    }

    (Tensor Images, Tensor Labels)? training;

    /// <summary>
    /// Digits of the training split (never the 1000 held out for the metric) from .cache/mnist, found as
    /// <see cref="DefaultFiles"/> says, chosen without replacement by <paramref name="seed"/>, with their labels.
    /// A missing folder is an error that names scripts/fetch-mnist.sh.
    /// </summary>
    public (Tensor Samples, Tensor? Labels) Draw(int count, long seed, Device device, ScalarType dtype)
    {
        if (training is null)
        {
            using var digits = Data.MnistDigits.Load(null, environment.BaseDirectory);
            var (images, labels) = digits.Train();
            training = (images.DetachFromDisposeScope(), labels.DetachFromDisposeScope());
        }
        var (all, allLabels) = training.Value;
        if (count > all.shape[0])
            throw new PipelineInputException($"asked for {count} MNIST training digits but the training split has {all.shape[0]}");
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var index = randperm(all.shape[0], generator: generator).narrow(0, 0, count);
        var samples = all.index_select(0, index).to(dtype, device);
        var chosen = allLabels.index_select(0, index).to(device);
        return (scope.MoveToOuter(samples), scope.MoveToOuter(chosen));
    }

    public void Dispose()
    {
        network.Dispose();
        classifier?.Dispose();
        if (training is { } t) { t.Images.Dispose(); t.Labels.Dispose(); }
    }
}

/// <summary>Sizes shared by the MNIST plugins.</summary>
static class MnistDigitsShape
{
    public const int Side = Data.MnistDigits.Side;
}
