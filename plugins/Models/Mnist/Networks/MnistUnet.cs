using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Pipeline;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// A small class-conditional UNet predicting eps (Ho et al. 2020, DDPM's architecture at MNIST scale):
/// forward(x [B,1,28,28], step [B] training-step index 0..N-1, labels [B] int64) -> eps [B,1,28,28].
/// The sinusoidal step embedding and a label embedding are summed and fed to every residual block. The
/// label embedding has <c>classes + 1</c> rows: row <c>classes</c> is the null label of classifier-free
/// guidance (Ho and Salimans 2022); a negative label selects it too.
/// </summary>
public sealed class MnistUnet : Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly Conv2d input;
    readonly StepEmbedding time;
    readonly Embedding label;
    readonly ModuleList<ResidualBlock> downBlocks;
    readonly ModuleList<Module<Tensor, Tensor>> downAttention;
    readonly ModuleList<Downsample> downsample;
    readonly ResidualBlock middle1;
    readonly Module<Tensor, Tensor> middleAttention;
    readonly ResidualBlock middle2;
    readonly ModuleList<ResidualBlock> upBlocks;
    readonly ModuleList<Module<Tensor, Tensor>> upAttention;
    readonly ModuleList<Upsample> upsample;
    readonly GroupNorm outputNorm;
    readonly Conv2d output;

    public MnistUnet(MnistUnetConfig config) : base(nameof(MnistUnet))
    {
        NetworkConfig.Validate(config, "mnist-unet architecture");
        Config = config;
        int c = config.Channels, width = 4 * c, levels = config.ChannelMultipliers.Length;
        input = Conv2d(1, c, 3, padding: 1);
        time = new StepEmbedding(c, width);
        label = Embedding(config.Classes + 1, width);

        var blocks = new List<ResidualBlock>();
        var attention = new List<Module<Tensor, Tensor>>();
        var down = new List<Downsample>();
        var skips = new List<int> { c };
        int channels = c;
        for (int level = 0; level < levels; level++)
        {
            int outputs = c * config.ChannelMultipliers[level];
            for (int i = 0; i < config.ResBlocks; i++)
            {
                blocks.Add(new ResidualBlock(channels, outputs, width, config.Groups, config.Dropout));
                attention.Add(AttentionAt(level, outputs, config));
                channels = outputs;
                skips.Add(channels);
            }
            if (level < levels - 1)
            {
                down.Add(new Downsample(channels));
                skips.Add(channels);
            }
        }
        downBlocks = ModuleList(blocks.ToArray());
        downAttention = ModuleList(attention.ToArray());
        downsample = ModuleList(down.ToArray());

        middle1 = new ResidualBlock(channels, channels, width, config.Groups, config.Dropout);
        middleAttention = config.Attention ? new SelfAttention(channels, config.AttentionHeads, config.Groups) : Identity();
        middle2 = new ResidualBlock(channels, channels, width, config.Groups, config.Dropout);

        blocks = [];
        attention = [];
        var up = new List<Upsample>();
        for (int level = levels - 1; level >= 0; level--)
        {
            int outputs = c * config.ChannelMultipliers[level];
            for (int i = 0; i <= config.ResBlocks; i++)
            {
                int skip = skips[^1];
                skips.RemoveAt(skips.Count - 1);
                blocks.Add(new ResidualBlock(channels + skip, outputs, width, config.Groups, config.Dropout));
                attention.Add(AttentionAt(level, outputs, config));
                channels = outputs;
            }
            if (level > 0) up.Add(new Upsample(channels));
        }
        upBlocks = ModuleList(blocks.ToArray());
        upAttention = ModuleList(attention.ToArray());
        upsample = ModuleList(up.ToArray());

        outputNorm = Normalization.Group(config.Groups, channels);
        output = Conv2d(channels, 1, 3, padding: 1);
        using (no_grad())
        {
            init.zeros_(output.weight);
            init.zeros_(output.bias);
        }
        RegisterComponents();
    }

    public MnistUnetConfig Config { get; }

    /// <summary>A checkpoint written by <c>train</c> (see <see cref="Checkpoints.MnistCheckpoint"/>), in eval mode.</summary>
    public static MnistUnet Load(string path, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        Checkpoints.MnistCheckpoint.Load<MnistUnet>(path, MnistNetworks.Unet, device, dtype);

    static Module<Tensor, Tensor> AttentionAt(int level, int channels, MnistUnetConfig config) =>
        config.Attention && level == config.ChannelMultipliers.Length - 1
            ? new SelfAttention(channels, config.AttentionHeads, config.Groups)
            : Identity();

    public override Tensor forward(Tensor x, Tensor step, Tensor labels) => Forward(x, step, labels, null);

    /// <summary>
    /// The output with <paramref name="extra"/> [B, 4 channels] added to the step and label embedding that every residual
    /// block reads: how a DDGAN generator (<see cref="DdganGenerator"/>) feeds its latent code through the same network.
    /// </summary>
    public Tensor ForwardConditioned(Tensor x, Tensor step, Tensor labels, Tensor extra) => Forward(x, step, labels, null, extra);

    /// <summary>Width of the conditioning embedding (4 channels).</summary>
    public int EmbeddingWidth => 4 * Config.Channels;

    /// <summary>
    /// eps, and the bottleneck (the middle blocks' output) averaged over positions, [B, channels]: the summary of the
    /// sample AMED's predictor reads (Zhou et al. 2024 take the UNet's bottleneck for the same purpose).
    /// </summary>
    public (Tensor Epsilon, Tensor Bottleneck) ForwardWithBottleneck(Tensor x, Tensor step, Tensor labels)
    {
        var bottleneck = new Tensor[1];
        var eps = Forward(x, step, labels, bottleneck);
        return (eps, bottleneck[0]);
    }

    /// <summary>Channels of <see cref="ForwardWithBottleneck"/>'s bottleneck.</summary>
    public int BottleneckChannels => Config.Channels * Config.ChannelMultipliers[^1];

    Tensor Forward(Tensor x, Tensor step, Tensor labels, Tensor[]? bottleneck, Tensor? extra = null)
    {
        using var scope = NewDisposeScope();
        using Scalar zero = 0L, nullRow = (long)Config.Classes;
        var nullLabel = labels.lt(zero);
        var rows = labels.masked_fill(nullLabel, nullRow);
        var conditioning = time.forward(step).Plus(label.forward(rows));
        if (extra is not null) conditioning = conditioning.Plus(extra);

        int levels = Config.ChannelMultipliers.Length, perLevel = Config.ResBlocks;
        var h = input.forward(x);
        var skips = new Stack<Tensor>();
        skips.Push(h);
        for (int level = 0, k = 0; level < levels; level++)
        {
            for (int i = 0; i < perLevel; i++, k++)
            {
                h = downAttention[k].forward(downBlocks[k].forward(h, conditioning));
                skips.Push(h);
            }
            if (level < levels - 1)
            {
                h = downsample[level].forward(h);
                skips.Push(h);
            }
        }

        h = middle2.forward(middleAttention.forward(middle1.forward(h, conditioning)), conditioning);
        if (bottleneck is not null) bottleneck[0] = scope.MoveToOuter(h.mean([2, 3]).detach());

        for (int level = levels - 1, k = 0, u = 0; level >= 0; level--)
        {
            for (int i = 0; i <= perLevel; i++, k++)
                h = upAttention[k].forward(upBlocks[k].forward(cat([h, skips.Pop()], 1), conditioning));
            if (level > 0) h = upsample[u++].forward(h);
        }

        var eps = output.forward(functional.silu(outputNorm.forward(h)));
        return scope.MoveToOuter(eps);
    }
}
