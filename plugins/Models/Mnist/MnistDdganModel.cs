using System.ComponentModel;
using System.Text.Json.Nodes;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist;

[Plugin(PluginKinds.Model, "mnist-ddgan", Aliases = "ddgan-mnist",
    Summary = "Class-conditional MNIST Denoising Diffusion GAN generator (x_0 = G(x_t, z), T-step chain) from a checkpoint written by 'train'; sample it with the 'ddgan' solver")]
public sealed class MnistDdganModelExport : PluginExport<MnistDdganModel, MnistDdganModelOptions>;

public sealed class MnistDdganModelOptions
{
    [FilePath(SearchParents = true)]
    [Description("checkpoint written by 'train' with network mnist-ddgan (the .ckpt; its .json lies beside it). A relative path is looked for in the definition's folder and the folders above it, then from the current and the host's folders")]
    public string Checkpoint { get; set; } = DefaultFiles.DdganCheckpoint;
}

/// <summary>
/// The generator of a trained <see cref="Ddgan"/> as a latent model: x_0' = G(x_k, z, k - 1, label), 10 classes and
/// the null label -1, samples [1, 28, 28] in [-1, 1]. The chain it was trained on (its alpha_bar per step) is recorded
/// in the checkpoint; the <c>ddgan</c> solver refuses any other schedule or step count.
/// </summary>
public sealed class MnistDdganModel : ILatentModel, IDisposable
{
    readonly Ddgan network;
    readonly RunEnvironment environment;

    public MnistDdganModel(MnistDdganModelOptions options, RunEnvironment environment)
    {
        this.environment = environment;
        if (string.IsNullOrWhiteSpace(options.Checkpoint))
            throw new PipelineInputException("checkpoint: name the DDGAN checkpoint file (default models/mnist-ddgan.ckpt)", "$.model.checkpoint");
        File = DefaultFiles.Resolve(options.Checkpoint, environment.BaseDirectory);
        try
        {
            network = (Ddgan)MnistCheckpoint.Load(File, out var info, MnistNetworks.Ddgan, environment.Device, environment.DType);
            Info = info;
            TrainedAlphasCumprod = ChainOf(info, File);
        }
        catch (PipelineInputException e)
        {
            network?.Dispose();
            throw new PipelineInputException(e.Message, "$.model.checkpoint", e);
        }
    }

    /// <summary>The training record's alpha_bar per step of the chain, one per step of the architecture's trainingSteps.</summary>
    static IReadOnlyList<double> ChainOf(CheckpointInfo info, string file)
    {
        var steps = NetworkConfig.Parse<DdganConfig>(info.Architecture, "the checkpoint's architecture").TrainingSteps;
        if (info.Training?["alphasCumprod"] is not JsonArray chain || chain.Count != steps
            || chain.Any(v => v is not JsonValue value || !value.TryGetValue<double>(out var a) || !(a > 0 && a < 1)))
            throw new PipelineInputException($"the checkpoint '{file}' does not record the {steps} alpha_bar values of the chain it was trained on (training.alphasCumprod); train it again with 'pipeline train'");
        return chain.Select(v => v!.GetValue<double>()).ToArray();
    }

    public string File { get; }

    public CheckpointInfo Info { get; }

    public Ddgan Network => network;

    public IReadOnlyList<double> TrainedAlphasCumprod { get; }

    public int LatentSize => network.Config.LatentSize;

    public PredictionType Prediction => PredictionType.Data;

    public TimeInput TimeInput => TimeInput.DiscreteIndex;

    public long[]? SampleShape => [1, MnistDigitsShape.Side, MnistDigitsShape.Side];

    public int? Classes => network.Config.Classes;

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels) =>
        throw new InvalidOperationException("the DDGAN generator needs a latent code for every evaluation; sample it with the 'ddgan' solver");

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels, Tensor latent)
    {
        if (x.dim() != 4 || x.shape[1] != 1 || x.shape[2] != MnistDigitsShape.Side || x.shape[3] != MnistDigitsShape.Side)
            throw new PipelineInputException(
                $"the mnist-ddgan model takes samples of shape [1, 28, 28] but was given [{string.Join(", ", x.shape.Skip(1))}]; remove sampling.shape or set it to [1, 28, 28]", "$.sampling.shape");
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var input = x.dtype == environment.DType ? x : x.to_type(environment.DType);
        using var stepValue = time.Input.ToScalar();
        var steps = full(x.shape[0], stepValue, environment.DType, x.device);
        var conditions = labels is null ? full(x.shape[0], Conditioning.NullLabel, int64, x.device) : labels.to(x.device);
        var x0 = network.Generator.forward(input, latent.to(environment.DType, x.device), steps, conditions);
        return scope.MoveToOuter(x0.dtype == x.dtype ? x0 : x0.to_type(x.dtype));
    }

    public void Dispose() => network.Dispose();
}
