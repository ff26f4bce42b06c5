using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Plugins.Guidance.Shared;

namespace Pipeline.Plugins.Guidance.ClassifierFree;

public sealed class ClassifierFreeGuidanceOptions : IValidatableObject
{
    [Required, Range(0.0, 1000.0),
     Description("guidance scale s in eps_u + s (eps_c - eps_u): 1 = the conditional model alone, 0 = the unconditional one, > 1 = stronger (Ho and Salimans' w is s - 1)")]
    public double Scale { get; set; } = 1.0;

    [Range(0.0, 1.0),
     Description("guidance rescale phi (Lin et al. 2024, eqs. (15)-(16)): mixes in the guided prediction rescaled to the per-sample std of the conditional one; 0 = off")]
    public double Rescale { get; set; } = 0.0;

    [Description("prediction that rescale acts on: 'epsilon' or 'data' (x_0); the other is converted from it. Without rescale both are the same combination")]
    public GuidanceSpace Space { get; set; } = GuidanceSpace.Epsilon;

    [Description("unit of 'start' and 'end': 'fraction' (progress 1 - t/TMax, 0 = first step, 1 = clean data), 'time' (t) or 'sigma' (sigma/alpha)")]
    public IntervalUnit IntervalUnit { get; set; } = IntervalUnit.Fraction;

    [Description("where guidance switches on, in sampling order (null = from the first step); outside the interval the conditional model alone is used")]
    public double? Start { get; set; }

    [Description("where guidance switches off, in sampling order (null = to the last step); both ends are included")]
    public double? End { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        GuidanceInterval.Problems(IntervalUnit, Start, End).Select(p => new ValidationResult(p.Message, [p.Member]));
}
