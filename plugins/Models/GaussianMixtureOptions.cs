using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Models;

public sealed class GaussianMixtureOptions : IValidatableObject
{
    [Required, Description("mixture weights w_k, one per component (positive; normalised to sum 1)")]
    public double[] Weights { get; set; } = null!;

    [Required, Description("component means mu_k, K rows of D values")]
    public double[][] Means { get; set; } = null!;

    [Required, Description("component standard deviations, K rows of 1 value (isotropic) or D values (diagonal)")]
    public double[][] Stds { get; set; } = null!;

    [Description("shape of one sample (its element count must be D); default [D]")]
    public long[]? SampleShape { get; set; }

    [Description("when true the model takes class labels: label k predicts component k alone, -1 the whole mixture")]
    public bool Conditional { get; set; } = false;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        MixtureValidation.Problems(Weights, Means, Stds, SampleShape)
            .Select(p => new ValidationResult(p.Message, [p.Member]));
}
