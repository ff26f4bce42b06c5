using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Pipeline;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// The DDGAN discriminator D(x_(k-1), x_k, k - 1, label) -> logit [B] (Xiao et al. 2022, section 3.2): the pair stacked as
/// two channels, residual blocks conditioned on the step embedding at 28, 14 and 7 pixels, features summed over
/// positions (a mean, so the logit scale does not grow with the image), and a projection onto the label's embedding (Miyato and Koyama 2018) so that a class-conditional
/// generator is judged on its class; the null label's row judges the unconditional model of classifier-free guidance.
/// </summary>
public sealed class DdganDiscriminator : Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    readonly Conv2d input;
    readonly StepEmbedding time;
    readonly ResidualBlock block1;
    readonly Downsample down1;
    readonly ResidualBlock block2;
    readonly Downsample down2;
    readonly ResidualBlock block3;
    readonly Linear logit;
    readonly Embedding projection;
    readonly int classes;

    public DdganDiscriminator(DdganConfig config) : base(nameof(DdganDiscriminator))
    {
        int c = config.DiscriminatorChannels, width = 4 * c;
        classes = config.Classes;
        input = Conv2d(2, c, 3, padding: 1);
        time = new StepEmbedding(c, width);
        block1 = new ResidualBlock(c, c, width, config.Groups, 0);
        down1 = new Downsample(c);
        block2 = new ResidualBlock(c, 2 * c, width, config.Groups, 0);
        down2 = new Downsample(2 * c);
        block3 = new ResidualBlock(2 * c, 2 * c, width, config.Groups, 0);
        logit = Linear(2 * c, 1);
        projection = Embedding(classes + 1, 2 * c);
        RegisterComponents();
    }

    /// <param name="previous">x_(k-1) [B, 1, 28, 28], real or generated.</param>
    /// <param name="x">x_k [B, 1, 28, 28].</param>
    /// <param name="step">Step index k - 1 [B].</param>
    /// <param name="labels">int64 [B]; negative = the null label.</param>
    public override Tensor forward(Tensor previous, Tensor x, Tensor step, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using Scalar zero = 0L, nullRow = (long)classes;
        var embedding = time.forward(step);
        var h = input.forward(cat([previous, x], 1));
        h = block1.forward(h, embedding);
        h = block2.forward(down1.forward(h), embedding);
        h = block3.forward(down2.forward(h), embedding);
        var features = functional.silu(h).mean([2, 3]);
        var rows = labels.masked_fill(labels.lt(zero), nullRow);
        var projected = projection.forward(rows).mul(features).sum(1);
        return scope.MoveToOuter(logit.forward(features).squeeze(1).Plus(projected));
    }
}
