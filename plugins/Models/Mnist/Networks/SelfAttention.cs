using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Pipeline;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// Multi-head self-attention over the pixels of a feature map (used at 7x7), residual, with a zero-initialised
/// output projection so it starts as the identity.
/// </summary>
public sealed class SelfAttention : Module<Tensor, Tensor>
{
    readonly GroupNorm norm;
    readonly Conv2d qkv;
    readonly Conv2d output;
    readonly long heads;

    public SelfAttention(int channels, int heads, int groups) : base(nameof(SelfAttention))
    {
        this.heads = heads;
        norm = Normalization.Group(groups, channels);
        qkv = Conv2d(channels, 3 * channels, 1);
        output = Conv2d(channels, channels, 1);
        using (no_grad())
        {
            init.zeros_(output.weight);
            init.zeros_(output.bias);
        }
        RegisterComponents();
    }

    /// <summary>
    /// FLOPs for one sample at <paramref name="side"/> x <paramref name="side"/> (n pixels, c channels): the qkv and
    /// output 1x1 convolutions from their weights, and 2 n^2 c for each of QK^T and the weighted sum of V.
    /// </summary>
    public double Flops(long side)
    {
        long n = side * side, c = output.weight.shape[0];
        return 2.0 * (qkv.weight.numel() + output.weight.numel()) * n + 4.0 * n * n * c;
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        // [B, 3C, H, W] -> three [B, heads, HW, C / heads]
        var parts = qkv.forward(norm.forward(x)).reshape(b, 3, heads, c / heads, h * w).permute(1, 0, 2, 4, 3).unbind(0);
        // softmax(Q K^T / sqrt(d)) V written out: 49 positions at 7x7 make this cheap, and it needs no fused kernel.
        using Scalar scale = 1.0 / Math.Sqrt(c / heads);
        var weights = functional.softmax(parts[0].matmul(parts[1].transpose(2, 3)).mul_(scale), -1);
        var attended = weights.matmul(parts[2]);
        var merged = attended.permute(0, 1, 3, 2).reshape(b, c, h, w);
        return scope.MoveToOuter(x.Plus(output.forward(merged)));
    }
}
