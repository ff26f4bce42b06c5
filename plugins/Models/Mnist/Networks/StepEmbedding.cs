using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// Sinusoidal features of the (possibly fractional) training-step index, as the Transformer's positional
/// encoding and DDPM use them, followed by a two-layer MLP: [B] -> [B, width].
/// </summary>
public sealed class StepEmbedding : Module<Tensor, Tensor>
{
    readonly Linear first;
    readonly Linear second;
    readonly int half;

    public StepEmbedding(int features, int width) : base(nameof(StepEmbedding))
    {
        half = features / 2;
        first = Linear(2 * half, width);
        second = Linear(width, width);
        RegisterComponents();
    }

    /// <summary>FLOPs of the two linear layers for one sample.</summary>
    public double Flops => 2.0 * (first.weight.numel() + second.weight.numel());

    public override Tensor forward(Tensor steps)
    {
        using var scope = NewDisposeScope();
        var dtype = first.weight.dtype;
        // 10000^(-k / half), k = 0 .. half-1: periods from 2 pi to 2 pi 10^4 steps.
        using Scalar start = 0L, stop = (long)half, step = 1L, rate = -Math.Log(10000.0) / half;
        var frequencies = arange(start, stop, step, dtype, steps.device).mul_(rate).exp_();
        var angles = steps.to(dtype).unsqueeze(1).mul(frequencies.unsqueeze(0));
        var features = cat([angles.sin(), angles.cos()], 1);
        return scope.MoveToOuter(second.forward(functional.silu(first.forward(features))));
    }
}
