using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

public sealed class VpLinearScheduleOptions : IValidatableObject
{
    [Description("beta(0) of beta(t) = betaMin + t (betaMax - betaMin)"), Range(0.0, 1e6)]
    public double BetaMin { get; set; } = 0.1;

    [Description("beta(1)"), Range(0.0, 1e6)]
    public double BetaMax { get; set; } = 20.0;

    [Description("Smallest time the model is evaluated at (epsilon of Song et al. 2021)"), Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double TMin { get; set; } = 1e-3;

    [Description("Largest time T, where sampling starts"), Range(0.0, 1e6, MinimumIsExclusive = true)]
    public double TMax { get; set; } = 1.0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BetaMax < BetaMin)
            yield return OptionsValidation.Error(nameof(BetaMax), $"({BetaMax}) is below 'betaMin' ({BetaMin}); beta(t) must not decrease");
        if (BetaMax <= 0)
            yield return OptionsValidation.Error(nameof(BetaMax), "must be positive, or no noise is ever added");
        if (TMin >= TMax)
            yield return OptionsValidation.Error(nameof(TMin), $"({TMin}) must be below 'tMax' ({TMax})");
    }
}
