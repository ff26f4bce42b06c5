using System.ComponentModel;
using System.Text.Json.Nodes;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist;

[Plugin(PluginKinds.Model, "mnist-consistency", Aliases = "mnist-cd,mnist-ct",
    Summary = "Class-conditional MNIST consistency model (Song et al. 2023): f(x, t) = c_skip x + c_out F over a UNet, predicting x_0; from a checkpoint written by 'train' with network mnist-consistency")]
public sealed class MnistConsistencyModelExport : PluginExport<MnistConsistencyModel, MnistConsistencyModelOptions>;

public sealed class MnistConsistencyModelOptions
{
    [Description("checkpoint written by 'train' with network mnist-consistency (the .ckpt; its .json lies beside it). A relative path is looked for in the definition's folder and the folders above it, then from the current and the host's folders")]
    [FilePath(SearchParents = true)]
    public string Checkpoint { get; set; } = DefaultFiles.ConsistencyCheckpoint;
}

/// <summary>
/// A consistency student as a data-predicting model: its UNet's output is combined as the consistency function
/// f(x, t) = c_skip x~ + c_out F of <see cref="ConsistencyParametrization"/> (Song et al. 2023, Appendix C) in the EDM
/// variables x~ = x / alpha, s = sigma / alpha of the VP schedule it was trained on, with s_min and sigma_data from the
/// checkpoint's training record. At the schedule's first time f(x, t_min) = x / alpha exactly (the boundary condition).
/// Sample it with 'consistency' (one step, or Algorithm 1's few) on the schedule recorded with the checkpoint.
/// </summary>
public sealed class MnistConsistencyModel : IDiffusionModel, IDisposable
{
    readonly MnistUnetModel unet;

    public MnistConsistencyModel(MnistConsistencyModelOptions options, RunEnvironment environment)
    {
        if (string.IsNullOrWhiteSpace(options.Checkpoint))
            throw new PipelineInputException("checkpoint: name the consistency model's checkpoint file (default models/mnist-consistency.ckpt)", "$.model.checkpoint");
        unet = new MnistUnetModel(new MnistUnetModelOptions { Checkpoint = options.Checkpoint }, environment);
        if (unet.Info.Training?["consistency"] is not JsonObject record
            || !Positive(record["sigmaMin"], out double sigmaMin) || !Positive(record["sigmaData"], out double sigmaData))
        {
            unet.Dispose();
            throw new PipelineInputException($"the checkpoint '{Path.GetFullPath(options.Checkpoint, environment.BaseDirectory)}' is not a consistency model " +
                "(its training record has no consistency.sigmaMin and sigmaData); train one with network mnist-consistency, or sample this UNet with model mnist-unet", "$.model.checkpoint");
        }
        SigmaMin = sigmaMin;
        SigmaData = sigmaData;
    }

    static bool Positive(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.TryGetValue(out value) && value > 0 && double.IsFinite(value);
    }

    /// <summary>The checkpoint file in use.</summary>
    public string File => unet.File;

    /// <summary>s = sigma / alpha at the first time of the schedule the student was trained on: the boundary of f.</summary>
    public double SigmaMin { get; }

    public double SigmaData { get; }

    public PredictionType Prediction => PredictionType.Data;

    public TimeInput TimeInput => TimeInput.DiscreteIndex;

    public long[]? SampleShape => unet.SampleShape;

    public int? Classes => unet.Classes;

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels)
    {
        var (ofInput, ofEpsilon) = ConsistencyParametrization.Combination(time.Alpha, time.Sigma, SigmaMin, SigmaData);
        using Scalar a = ofInput;
        // At the boundary c_out = 0: f is x / alpha whatever the network says, without evaluating it.
        if (ofEpsilon == 0) return x.mul(a);
        using var eps = unet.Forward(x, time, labels);
        using Scalar b = ofEpsilon;
        return x.mul(a).add_(eps, b);
    }

    public void Dispose() => unet.Dispose();
}
