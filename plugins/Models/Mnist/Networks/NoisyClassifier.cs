using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// A time-conditioned classifier p(label | x_t, t) for classifier guidance (Dhariwal and Nichol 2021, sec. 4):
/// forward(x_t [B,1,28,28], step [B] training-step index) -> logits [B, classes]. Residual blocks at 28, 14
/// and 7 pixels take the step embedding; global average pooling feeds a linear layer.
/// </summary>
public sealed class NoisyClassifier : Module<Tensor, Tensor, Tensor>
{
    readonly Conv2d input;
    readonly StepEmbedding time;
    readonly ModuleList<ResidualBlock> blocks;
    readonly ModuleList<Downsample> downsample;
    readonly GroupNorm outputNorm;
    readonly Linear head;
    readonly int perLevel;

    public NoisyClassifier(NoisyClassifierConfig config) : base(nameof(NoisyClassifier))
    {
        NetworkConfig.Validate(config, "mnist-noisy-classifier architecture");
        Config = config;
        perLevel = config.ResBlocks;
        int c = config.Channels, width = 4 * c;
        input = Conv2d(1, c, 3, padding: 1);
        time = new StepEmbedding(c, width);
        int[] channels = [c, 2 * c, 2 * c];
        var list = new List<ResidualBlock>();
        int current = c;
        foreach (var outputs in channels)
            for (int i = 0; i < perLevel; i++)
            {
                list.Add(new ResidualBlock(current, outputs, width, config.Groups, config.Dropout));
                current = outputs;
            }
        blocks = ModuleList(list.ToArray());
        downsample = ModuleList(new Downsample(channels[0]), new Downsample(channels[1]));
        outputNorm = Normalization.Group(config.Groups, current);
        head = Linear(current, config.Classes);
        RegisterComponents();
    }

    public NoisyClassifierConfig Config { get; }

    /// <summary>A checkpoint written by <c>train</c> (see <see cref="Checkpoints.MnistCheckpoint"/>), in eval mode.</summary>
    public static NoisyClassifier Load(string path, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        Checkpoints.MnistCheckpoint.Load<NoisyClassifier>(path, MnistNetworks.NoisyClassifier, device, dtype);

    public override Tensor forward(Tensor x, Tensor step)
    {
        using var scope = NewDisposeScope();
        var conditioning = time.forward(step);
        var h = input.forward(x);
        for (int level = 0, k = 0; level < 3; level++)
        {
            for (int i = 0; i < perLevel; i++, k++) h = blocks[k].forward(h, conditioning);
            if (level < 2) h = downsample[level].forward(h);
        }
        var pooled = functional.silu(outputNorm.forward(h)).mean([2, 3]);
        return scope.MoveToOuter(head.forward(pooled));
    }

    /// <summary>log p(label | x_t) for each sample's label [B] (the quantity whose gradient guides sampling).</summary>
    public Tensor LogProbability(Tensor x, Tensor step, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var logp = functional.log_softmax(forward(x, step), 1);
        return scope.MoveToOuter(logp.gather(1, labels.unsqueeze(1)).squeeze(1));
    }
}
