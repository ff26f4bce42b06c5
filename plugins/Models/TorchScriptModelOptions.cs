using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Models;

namespace Pipeline.Plugins.Models;

public sealed class TorchScriptModelOptions : IValidatableObject
{
    [Required, Description("TorchScript file written by torch.jit.save; relative paths are resolved against the definition's folder")]
    [Pipeline.Options.FilePath]
    public string Path { get; set; } = null!;

    [Description("what the network predicts")]
    public PredictionType Prediction { get; set; } = PredictionType.Epsilon;

    [Description("how the network takes time: training-step index, continuous t, 1000 t, sigma or EDM c_noise")]
    public TimeInput TimeInput { get; set; } = TimeInput.DiscreteIndex;

    [Range(1, int.MaxValue), Description("number of class labels of a conditional network (called as forward(x, t, labels)); unset = unconditional, forward(x, t)")]
    public int? Classes { get; set; }

    [Description("label value the network takes for 'no label' (classifier-free guidance's null class); unset passes -1")]
    public long? NullLabel { get; set; }

    [Required, Description("shape of one sample, e.g. [3, 32, 32]")]
    public long[] SampleShape { get; set; } = null!;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Path))
            yield return new ValidationResult("path: name the TorchScript file of the model", [nameof(Path)]);
        if (SampleShape is null || SampleShape.Length == 0 || SampleShape.Any(s => s <= 0))
            yield return new ValidationResult(
                $"sampleShape [{string.Join(", ", SampleShape ?? [])}] must list the positive sizes of one sample, e.g. [3, 32, 32]", [nameof(SampleShape)]);
        if (NullLabel is not null && Classes is null)
            yield return new ValidationResult("nullLabel is set but classes is not; a null label only applies to a conditional model", [nameof(NullLabel)]);
    }
}
