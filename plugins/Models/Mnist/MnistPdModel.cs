using System.ComponentModel;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist;

[Plugin(PluginKinds.Model, "mnist-pd", Aliases = "mnist-progressive-distillation",
    Summary = "Progressive-distillation student of the MNIST UNet (v-prediction, Salimans and Ho 2022) from a round checkpoint written by 'train'; sampled only by deterministic ddim on its own time grid")]
public sealed class MnistPdModelExport : PluginExport<MnistPdModel, MnistPdModelOptions>;

public sealed class MnistPdModelOptions
{
    [FilePath(SearchParents = true)]
    [Description("a round checkpoint written by 'train' with network mnist-pd (mnist-pd-<steps>.ckpt; its .json lies beside it). A relative path is looked for in the definition's folder and the folders above it, then from the current and the host's folders")]
    public string Checkpoint { get; set; } = "models/mnist-pd-4.ckpt";
}

/// <summary>
/// A distilled <see cref="MnistUnet"/> student: the same network as mnist-unet, but its output is v = alpha eps - sigma x_0
/// (or what its record says) and it was trained for one grid of N deterministic DDIM steps t = k / N on one schedule, all
/// recorded in its checkpoint (training.distillation); the host refuses other solvers, grids and schedules
/// (<see cref="IDistilledModel"/>). 10 classes and the null label -1, so classifier-free guidance works as for the teacher.
/// </summary>
public sealed class MnistPdModel : IDiffusionModel, IDistilledModel, IDisposable
{
    readonly MnistUnet network;
    readonly RunEnvironment environment;
    readonly DistillationRecord record;

    public MnistPdModel(MnistPdModelOptions options, RunEnvironment environment)
    {
        this.environment = environment;
        if (string.IsNullOrWhiteSpace(options.Checkpoint))
            throw new PipelineInputException("checkpoint: name the student's round checkpoint (mnist-pd-<steps>.ckpt)", "$.model.checkpoint");
        File = DefaultFiles.Resolve(options.Checkpoint, environment.BaseDirectory);
        try
        {
            var info = MnistCheckpoint.ReadInfo(File, MnistNetworks.Unet);
            record = DistillationRecord.Of(info, File)
                ?? throw new PipelineInputException($"the checkpoint '{File}' is not a distilled student (it has no training.distillation record); sample it with the 'mnist-unet' model, or name a round checkpoint mnist-pd-<steps>.ckpt");
            network = (MnistUnet)MnistCheckpoint.Load(File, out _, MnistNetworks.Unet, environment.Device, environment.DType);
        }
        catch (PipelineInputException e)
        {
            throw new PipelineInputException(e.Message, "$.model.checkpoint", e);
        }
    }

    public string File { get; }

    public int Steps => record.Steps;

    public PredictionType Prediction => record.Prediction;

    public TimeInput TimeInput => TimeInput.DiscreteIndex;

    public long[]? SampleShape => [1, MnistDigitsShape.Side, MnistDigitsShape.Side];

    public int? Classes => network.Config.Classes;

    public string Solver => record.Solver;

    public IReadOnlyList<double> Times => record.Times;

    public IReadOnlyList<double> Alphas => record.Alphas;

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels)
    {
        if (x.dim() != 4 || x.shape[1] != 1 || x.shape[2] != MnistDigitsShape.Side || x.shape[3] != MnistDigitsShape.Side)
            throw new PipelineInputException(
                $"the mnist-pd model takes samples of shape [1, 28, 28] but was given [{string.Join(", ", x.shape.Skip(1))}]; remove sampling.shape or set it to [1, 28, 28]", "$.sampling.shape");
        using var scope = NewDisposeScope();
        using var grad = x.requires_grad ? null : no_grad();
        var input = x.dtype == environment.DType ? x : x.to_type(environment.DType);
        using var stepValue = time.Input.ToScalar();
        var steps = full(x.shape[0], stepValue, environment.DType, x.device);
        var conditions = labels is null ? full(x.shape[0], Conditioning.NullLabel, int64, x.device) : labels.to(x.device);
        var output = network.forward(input, steps, conditions);
        return scope.MoveToOuter(output.dtype == x.dtype ? output : output.to_type(x.dtype));
    }

    public void Dispose() => network.Dispose();
}
