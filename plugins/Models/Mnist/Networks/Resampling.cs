using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>Halves the resolution with a strided 3x3 convolution (28 -> 14 -> 7).</summary>
public sealed class Downsample : Module<Tensor, Tensor>
{
    readonly Conv2d conv;

    public Downsample(int channels) : base(nameof(Downsample))
    {
        conv = Conv2d(channels, channels, 3, stride: 2, padding: 1);
        RegisterComponents();
    }

    /// <summary>FLOPs for one sample whose output is <paramref name="side"/> x <paramref name="side"/>.</summary>
    public double Flops(long side) => 2.0 * conv.weight.numel() * side * side;

    public override Tensor forward(Tensor x) => conv.forward(x);
}

/// <summary>Doubles the resolution: nearest-neighbour repeat, then a 3x3 convolution.</summary>
public sealed class Upsample : Module<Tensor, Tensor>
{
    readonly Conv2d conv;

    public Upsample(int channels) : base(nameof(Upsample))
    {
        conv = Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>FLOPs for one sample whose output is <paramref name="side"/> x <paramref name="side"/>.</summary>
    public double Flops(long side) => 2.0 * conv.weight.numel() * side * side;

    public override Tensor forward(Tensor x)
    {
        using var wide = functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return conv.forward(wide);
    }
}
