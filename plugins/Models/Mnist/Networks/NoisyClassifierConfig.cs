using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>Sizes of <see cref="NoisyClassifier"/>.</summary>
public sealed class NoisyClassifierConfig : IValidatableObject
{
    [Description("channels at 28x28; 14x14 and 7x7 use twice as many"), Range(8, 256)]
    public int Channels { get; set; } = 32;

    [Description("residual blocks per resolution"), Range(1, 4)]
    public int ResBlocks { get; set; } = 1;

    [Description("group-norm groups"), Range(1, 64)]
    public int Groups { get; set; } = 8;

    [Description("dropout inside residual blocks while training"), Range(0.0, 0.9)]
    public double Dropout { get; set; } = 0.0;

    [Description("class labels"), Range(2, 1000)]
    public int Classes { get; set; } = 10;

    [Description("training steps N of the discrete schedule; the time input is the step index 0..N-1"), Range(2, 100_000)]
    public int TrainingSteps { get; set; } = 1000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Channels % Groups != 0)
            yield return new($"channels {Channels} must divide by groups {Groups}", [nameof(Groups)]);
    }
}
