using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

public sealed class EdmScheduleOptions : IValidatableObject
{
    [Description("Smallest sigma (= smallest time) the model is evaluated at"), Range(0.0, 1e6, MinimumIsExclusive = true)]
    public double SigmaMin { get; set; } = 0.002;

    [Description("Largest sigma (= largest time), where sampling starts"), Range(0.0, 1e6, MinimumIsExclusive = true)]
    public double SigmaMax { get; set; } = 80.0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SigmaMax <= SigmaMin)
            yield return OptionsValidation.Error(nameof(SigmaMax), $"({SigmaMax}) must exceed 'sigmaMin' ({SigmaMin})");
    }
}
