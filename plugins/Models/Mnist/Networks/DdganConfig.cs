using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// Sizes of <see cref="Ddgan"/>: the generator is an <see cref="MnistUnet"/> (without dropout) that also reads a latent
/// code, the discriminator a small residual network. The defaults are the shipped model.
/// </summary>
public sealed class DdganConfig : IValidatableObject
{
    [Description("generator channels at 28x28; level i has channels * channelMultipliers[i]"), Range(8, 256)]
    public int Channels { get; set; } = 32;

    [Description("generator: one entry per resolution 28, 14, 7 (one to three levels)")]
    public int[] ChannelMultipliers { get; set; } = [1, 2, 2];

    [Description("generator residual blocks per level on the way down (one more on the way up)"), Range(1, 4)]
    public int ResBlocks { get; set; } = 1;

    [Description("generator self-attention at 7x7 and in the middle")]
    public bool Attention { get; set; }

    [Description("attention heads"), Range(1, 16)]
    public int AttentionHeads { get; set; } = 4;

    [Description("group-norm groups of both networks; every channel count must divide by it"), Range(1, 64)]
    public int Groups { get; set; } = 8;

    [Description("class labels; both networks have a null-label row for classifier-free guidance"), Range(1, 1000)]
    public int Classes { get; set; } = 10;

    [Description("steps T of the chain (the discrete schedule's trainingSteps); the time input is the step index 0..T-1"), Range(1, 1000)]
    public int TrainingSteps { get; set; } = 4;

    [Description("width Z of the latent code z ~ N(0, I) the generator reads at every step"), Range(1, 1024)]
    public int LatentSize { get; set; } = 32;

    [Description("discriminator channels at 28x28 (twice as many at 14 and 7)"), Range(8, 256)]
    public int DiscriminatorChannels { get; set; } = 32;

    /// <summary>The generator's UNet.</summary>
    public MnistUnetConfig Generator() => new()
    {
        Channels = Channels, ChannelMultipliers = ChannelMultipliers, ResBlocks = ResBlocks, Attention = Attention,
        AttentionHeads = AttentionHeads, Dropout = 0, Groups = Groups, Classes = Classes, TrainingSteps = Math.Max(2, TrainingSteps),
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var problem in Generator().Validate(validationContext)) yield return problem;
        if (DiscriminatorChannels % Groups != 0)
            yield return new($"discriminatorChannels ({DiscriminatorChannels}) must divide by groups {Groups}", [nameof(DiscriminatorChannels)]);
    }
}
