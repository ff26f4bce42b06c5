using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// The DDGAN generator x_0' = G(x_k, z, k - 1, label) (Xiao et al. 2022, section 3.2): the MNIST UNet predicting x_0
/// in [-1, 1] (tanh), with the latent code z [B, Z] mapped by a two-layer MLP into the embedding that carries the step
/// and the label to every residual block. The paper injects z by adaptive group norm; adding it to the block embedding
/// gives each block a z-dependent shift in the same place.
/// </summary>
public sealed class DdganGenerator : Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    readonly MnistUnet unet;
    readonly Linear mapIn;
    readonly Linear mapOut;

    public DdganGenerator(DdganConfig config) : base(nameof(DdganGenerator))
    {
        unet = new MnistUnet(config.Generator());
        mapIn = Linear(config.LatentSize, unet.EmbeddingWidth);
        mapOut = Linear(unet.EmbeddingWidth, unet.EmbeddingWidth);
        LatentSize = config.LatentSize;
        RegisterComponents();
    }

    public int LatentSize { get; }

    /// <param name="x">x_k [B, 1, 28, 28].</param>
    /// <param name="z">Latent codes [B, Z].</param>
    /// <param name="step">Step index k - 1 [B] (0 .. T-1).</param>
    /// <param name="labels">int64 [B]; negative = the null label.</param>
    public override Tensor forward(Tensor x, Tensor z, Tensor step, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var code = mapOut.forward(functional.silu(mapIn.forward(z.to_type(mapIn.weight.dtype))));
        return scope.MoveToOuter(unet.ForwardConditioned(x, step, labels, code).tanh());
    }
}
