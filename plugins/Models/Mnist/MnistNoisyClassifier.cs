using Pipeline.Models;
using Pipeline.Plugins.Models.Mnist.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist;

/// <summary>
/// The trained <see cref="NoisyClassifier"/> as classifier guidance sees it: log p(label | x_t) at the training-step
/// index of t (the UNet's own time input), offered by the mnist-unet model as "mnist-noisy-classifier".
/// </summary>
public sealed class MnistNoisyClassifier : INoisyClassifier, IDisposable
{
    readonly NoisyClassifier network;
    readonly ScalarType dtype;

    public MnistNoisyClassifier(NoisyClassifier network, ScalarType dtype)
    {
        this.network = network;
        this.dtype = dtype;
        // Guidance differentiates with respect to x only; frozen weights keep the graph to what that needs.
        foreach (var p in network.parameters()) p.requires_grad = false;
    }

    public const string Name = "mnist-noisy-classifier";

    public int Classes => network.Config.Classes;

    public TimeInput TimeInput => TimeInput.DiscreteIndex;

    public Tensor LogProbabilities(Tensor x, ModelTime time)
    {
        using var scope = NewDisposeScope();
        // The weights are frozen; the gradient guidance takes flows to x alone.
        var input = x.dtype == dtype ? x : x.to_type(dtype);
        using var step = time.Input.ToScalar();
        var steps = full(x.shape[0], step, dtype, x.device);
        var logp = nn.functional.log_softmax(network.forward(input, steps), 1);
        return scope.MoveToOuter(logp.dtype == x.dtype ? logp : logp.to_type(x.dtype));
    }

    public void Dispose() => network.Dispose();
}
