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
    // Index of each residual and attention module among the skippable blocks (-1: an identity, nothing to skip).
    readonly int[] downIndex, downAttentionIndex, upIndex, upAttentionIndex;
    readonly int middle1Index, middleAttentionIndex, middle2Index;
    readonly List<(string Name, double Flops)> skippable = [];

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
        (downIndex, downAttentionIndex, upIndex, upAttentionIndex, middle1Index, middleAttentionIndex, middle2Index, TotalFlops) = CountBlocks();
    }

    /// <summary>
    /// Names the skippable blocks in the order of the forward pass and counts FLOPs from the layer shapes at each
    /// resolution (2 per multiply-add: convolutions and linear layers from their weights, attention's QK^T and AV
    /// products 2 n^2 c each for n pixels; normalizations, activations, additions and biases are not counted).
    /// A block's figure is what skipping it saves: a residual block's convolutions and embedding projection (its 1x1
    /// shortcut still runs), or the whole attention block.
    /// </summary>
    (int[], int[], int[], int[], int, int, int, double) CountBlocks()
    {
        static double Conv(Conv2d conv, long side) => 2.0 * conv.weight.numel() * side * side;
        int Add(string name, double flops)
        {
            skippable.Add((name, flops));
            return skippable.Count - 1;
        }
        int Residual(string name, ResidualBlock block, long side) => Add(name, block.BranchFlops(side));
        int Attention(string name, Module<Tensor, Tensor> module, long side) =>
            module is SelfAttention a ? Add(name, a.Flops(side)) : -1;

        int levels = Config.ChannelMultipliers.Length, perLevel = Config.ResBlocks;
        long Side(int level) => MnistSide >> level;
        double fixedFlops = Conv(input, MnistSide) + time.Flops + Conv(output, MnistSide);
        var down = new int[downBlocks.Count];
        var downAttn = new int[downBlocks.Count];
        for (int level = 0, k = 0; level < levels; level++)
        {
            for (int i = 0; i < perLevel; i++, k++)
            {
                down[k] = Residual($"down{k}", downBlocks[k], Side(level));
                downAttn[k] = Attention($"down{k}.attn", downAttention[k], Side(level));
                fixedFlops += downBlocks[k].ShortcutFlops(Side(level));
            }
            if (level < levels - 1) fixedFlops += downsample[level].Flops(Side(level + 1));
        }
        long bottom = Side(levels - 1);
        int m1 = Residual("mid1", middle1, bottom);
        int ma = Attention("mid.attn", middleAttention, bottom);
        int m2 = Residual("mid2", middle2, bottom);
        var up = new int[upBlocks.Count];
        var upAttn = new int[upBlocks.Count];
        for (int level = levels - 1, k = 0, u = 0; level >= 0; level--)
        {
            for (int i = 0; i <= perLevel; i++, k++)
            {
                up[k] = Residual($"up{k}", upBlocks[k], Side(level));
                upAttn[k] = Attention($"up{k}.attn", upAttention[k], Side(level));
                fixedFlops += upBlocks[k].ShortcutFlops(Side(level));
            }
            if (level > 0) fixedFlops += upsample[u++].Flops(Side(level - 1));
        }
        fixedFlops += middle1.ShortcutFlops(bottom) + middle2.ShortcutFlops(bottom);
        double total = fixedFlops + skippable.Sum(b => b.Flops);
        return (down, downAttn, up, upAttn, m1, ma, m2, total);
    }

    const long MnistSide = 28;

    /// <summary>
    /// The blocks a forward pass may skip, in the order of the pass (down0, down0.attn where there is attention, ...,
    /// mid1, mid.attn, mid2, up0, ...), with the FLOPs skipping each saves for one sample.
    /// </summary>
    public IReadOnlyList<(string Name, double Flops)> SkippableBlocks => skippable;

    /// <summary>Counted FLOPs of one full evaluation of one sample (as <see cref="SkippableBlocks"/> counts them).</summary>
    public double TotalFlops { get; }

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
    /// The output with the blocks whose entry of <paramref name="skip"/> is true left out (one entry per
    /// <see cref="SkippableBlocks"/>): a skipped residual block returns its shortcut of the input (the input itself
    /// when the channels stay), a skipped attention block its input. All false (or null) is <c>forward</c> exactly.
    /// </summary>
    public Tensor ForwardSkipping(Tensor x, Tensor step, Tensor labels, IReadOnlyList<bool>? skip)
    {
        if (skip is not null && skip.Count != skippable.Count)
            throw new ArgumentException($"the mask has {skip.Count} entries; the network has {skippable.Count} skippable blocks");
        return Forward(x, step, labels, null, null, skip);
    }

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
    public (Tensor Epsilon, Tensor Bottleneck) ForwardWithBottleneck(Tensor x, Tensor step, Tensor labels, IReadOnlyList<bool>? skip = null)
    {
        var bottleneck = new Tensor[1];
        var eps = Forward(x, step, labels, bottleneck, null, skip);
        return (eps, bottleneck[0]);
    }

    /// <summary>Channels of <see cref="ForwardWithBottleneck"/>'s bottleneck.</summary>
    public int BottleneckChannels => Config.Channels * Config.ChannelMultipliers[^1];

    Tensor Forward(Tensor x, Tensor step, Tensor labels, Tensor[]? bottleneck, Tensor? extra = null, IReadOnlyList<bool>? skip = null)
    {
        bool Skipped(int index) => index >= 0 && skip is not null && skip[index];
        Tensor Residual(ResidualBlock block, int index, Tensor h, Tensor conditioning) =>
            Skipped(index) ? block.Shortcut(h) : block.forward(h, conditioning);
        Tensor Attention(Module<Tensor, Tensor> module, int index, Tensor h) => Skipped(index) ? h : module.forward(h);

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
                h = Attention(downAttention[k], downAttentionIndex[k], Residual(downBlocks[k], downIndex[k], h, conditioning));
                skips.Push(h);
            }
            if (level < levels - 1)
            {
                h = downsample[level].forward(h);
                skips.Push(h);
            }
        }

        h = Residual(middle1, middle1Index, h, conditioning);
        h = Residual(middle2, middle2Index, Attention(middleAttention, middleAttentionIndex, h), conditioning);
        if (bottleneck is not null) bottleneck[0] = scope.MoveToOuter(h.mean([2, 3]).detach());

        for (int level = levels - 1, k = 0, u = 0; level >= 0; level--)
        {
            for (int i = 0; i <= perLevel; i++, k++)
                h = Attention(upAttention[k], upAttentionIndex[k], Residual(upBlocks[k], upIndex[k], cat([h, skips.Pop()], 1), conditioning));
            if (level > 0) h = upsample[u++].forward(h);
        }

        var eps = output.forward(functional.silu(outputNorm.forward(h)));
        return scope.MoveToOuter(eps);
    }
}
