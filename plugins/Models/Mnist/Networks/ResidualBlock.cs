using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Pipeline;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// The DDPM residual block (Ho et al. 2020, after Wide ResNet): GroupNorm, SiLU, 3x3 conv, plus a projection
/// of the conditioning embedding, then GroupNorm, SiLU, dropout, 3x3 conv, added to a (1x1-projected) skip.
/// The second convolution starts at zero, so every block starts as the identity.
/// </summary>
public sealed class ResidualBlock : Module<Tensor, Tensor, Tensor>
{
    readonly GroupNorm norm1;
    readonly Conv2d conv1;
    readonly Linear embedding;
    readonly GroupNorm norm2;
    readonly Dropout dropout;
    readonly Conv2d conv2;
    readonly Conv2d? skip;

    public ResidualBlock(int inputs, int outputs, int embeddingWidth, int groups, double dropoutRate) : base(nameof(ResidualBlock))
    {
        norm1 = Normalization.Group(groups, inputs);
        conv1 = Conv2d(inputs, outputs, 3, padding: 1);
        embedding = Linear(embeddingWidth, outputs);
        norm2 = Normalization.Group(groups, outputs);
        dropout = Dropout(dropoutRate);
        conv2 = Conv2d(outputs, outputs, 3, padding: 1);
        skip = inputs == outputs ? null : Conv2d(inputs, outputs, 1);
        using (no_grad())
        {
            init.zeros_(conv2.weight);
            init.zeros_(conv2.bias);
        }
        RegisterComponents();
    }

    /// <summary>What the block returns when it is skipped: its input, through the 1x1 projection when the channels change.</summary>
    public Tensor Shortcut(Tensor x) => skip is null ? x : skip.forward(x);

    /// <summary>FLOPs of the residual branch for one sample at <paramref name="side"/> x <paramref name="side"/>: both 3x3 convolutions and the embedding projection.</summary>
    public double BranchFlops(long side) =>
        2.0 * (conv1.weight.numel() + conv2.weight.numel()) * side * side + 2.0 * embedding.weight.numel();

    /// <summary>FLOPs of the 1x1 shortcut for one sample (0 when the channels stay).</summary>
    public double ShortcutFlops(long side) => skip is null ? 0 : 2.0 * skip.weight.numel() * side * side;

    public override Tensor forward(Tensor x, Tensor conditioning)
    {
        using var scope = NewDisposeScope();
        var h = conv1.forward(functional.silu(norm1.forward(x)));
        h = h.Plus(embedding.forward(functional.silu(conditioning)).unsqueeze(-1).unsqueeze(-1));
        h = conv2.forward(dropout.forward(functional.silu(norm2.forward(h))));
        var shortcut = skip is null ? x : skip.forward(x);
        return scope.MoveToOuter(shortcut.Plus(h));
    }
}
