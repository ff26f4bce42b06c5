using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// A LeNet-style classifier of clean digits (LeCun et al. 1998, with ReLU and max pooling): two 5x5
/// convolutions with 2x2 pooling, a fully connected layer of <see cref="LeNetConfig.Features"/> units
/// (the penultimate features that the Frechet distance compares) and the logits.
/// forward(x [B,1,28,28] in [-1, 1]) -> logits [B, classes].
/// </summary>
public sealed class LeNet : Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly Conv2d conv2;
    readonly Linear hidden;
    readonly Dropout dropout;
    readonly Linear logits;

    public LeNet(LeNetConfig config) : base(nameof(LeNet))
    {
        NetworkConfig.Validate(config, "mnist-lenet architecture");
        Config = config;
        conv1 = Conv2d(1, config.Conv1, 5, padding: 2);
        conv2 = Conv2d(config.Conv1, config.Conv2, 5, padding: 2);
        hidden = Linear(config.Conv2 * 7 * 7, config.Features);
        dropout = Dropout(config.Dropout);
        logits = Linear(config.Features, config.Classes);
        RegisterComponents();
    }

    public LeNetConfig Config { get; }

    /// <summary>A checkpoint written by <c>train</c> (see <see cref="Checkpoints.MnistCheckpoint"/>), in eval mode.</summary>
    public static LeNet Load(string path, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        Checkpoints.MnistCheckpoint.Load<LeNet>(path, MnistNetworks.LeNet, device, dtype);

    /// <summary>The penultimate activations [B, features].</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.max_pool2d(functional.relu(conv1.forward(x)), 2);
        h = functional.max_pool2d(functional.relu(conv2.forward(h)), 2);
        return scope.MoveToOuter(functional.relu(hidden.forward(h.flatten(1))));
    }

    public override Tensor forward(Tensor x)
    {
        using var features = Features(x);
        using var dropped = dropout.forward(features);
        return logits.forward(dropped);
    }
}
