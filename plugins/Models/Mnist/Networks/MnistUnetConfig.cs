using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>Sizes of <see cref="MnistUnet"/>. The defaults are the shipped network (about 1.1 M parameters, 4.5 MB of float32 weights).</summary>
public sealed class MnistUnetConfig : IValidatableObject
{
    [Description("channels at 28x28; level i has channels * channelMultipliers[i]"), Range(8, 256)]
    public int Channels { get; set; } = 32;

    [Description("one entry per resolution 28, 14, 7 (one to three levels)")]
    public int[] ChannelMultipliers { get; set; } = [1, 2, 2];

    [Description("residual blocks per level on the way down (one more on the way up)"), Range(1, 4)]
    public int ResBlocks { get; set; } = 1;

    [Description("self-attention at the lowest resolution (7x7) and in the middle")]
    public bool Attention { get; set; } = true;

    [Description("attention heads"), Range(1, 16)]
    public int AttentionHeads { get; set; } = 4;

    [Description("dropout inside residual blocks while training"), Range(0.0, 0.9)]
    public double Dropout { get; set; } = 0.1;

    [Description("group-norm groups; every channel count must divide by it"), Range(1, 64)]
    public int Groups { get; set; } = 8;

    [Description("class labels; the label embedding has one more row, the null label of classifier-free guidance"), Range(1, 1000)]
    public int Classes { get; set; } = 10;

    [Description("training steps N of the discrete schedule; the time input is the step index 0..N-1"), Range(2, 100_000)]
    public int TrainingSteps { get; set; } = 1000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ChannelMultipliers is null || ChannelMultipliers.Length is < 1 or > 3 || ChannelMultipliers.Any(m => m is < 1 or > 8))
            yield return new("channelMultipliers needs one to three entries (28, 14, 7 pixels), each 1..8", [nameof(ChannelMultipliers)]);
        else if (ChannelMultipliers.Any(m => Channels * m % Groups != 0) || Channels % Groups != 0)
            yield return new($"every channel count (channels {Channels} times each multiplier) must divide by groups {Groups}", [nameof(Groups)]);
        else if (Attention && Channels * ChannelMultipliers[^1] % AttentionHeads != 0)
            yield return new($"the channels at the lowest resolution ({Channels * ChannelMultipliers[^1]}) must divide by attentionHeads {AttentionHeads}", [nameof(AttentionHeads)]);
    }
}
