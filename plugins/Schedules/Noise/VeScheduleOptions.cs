using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

public sealed class VeScheduleOptions : IValidatableObject
{
    [Description("sigma at t -> 0+"), Range(0.0, 1e6, MinimumIsExclusive = true)]
    public double SigmaMin { get; set; } = 0.01;

    [Description("sigma at t = 1"), Range(0.0, 1e6, MinimumIsExclusive = true)]
    public double SigmaMax { get; set; } = 50.0;

    [Description("Smallest time the model is evaluated at (epsilon of Song et al. 2021)"), Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double TMin { get; set; } = 1e-5;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SigmaMax <= SigmaMin)
            yield return OptionsValidation.Error(nameof(SigmaMax), $"({SigmaMax}) must exceed 'sigmaMin' ({SigmaMin})");
    }
}
