using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Solvers.Karras;

/// <summary>The stochastic "churn" of Karras et al. 2022, Algorithm 2 (k-diffusion's s_churn, s_tmin, s_tmax, s_noise).</summary>
public sealed class ChurnOptions : IValidatableObject
{
    [Description("S_churn: total churn; each step raises the noise level by gamma = min(sChurn / steps, sqrt(2) - 1). 0 = deterministic")]
    [Range(0.0, double.MaxValue)]
    public double SChurn { get; set; } = 0.0;

    [Description("S_tmin: churn only at steps whose noise level sigma / alpha is at least this")]
    [Range(0.0, double.MaxValue)]
    public double STmin { get; set; } = 0.0;

    [Description("S_tmax: churn only at steps whose noise level sigma / alpha is at most this; null (default) = no upper limit (k-diffusion's inf)")]
    [Range(0.0, double.MaxValue)]
    public double? STmax { get; set; }

    [Description("S_noise: scale of the added noise (slightly above 1 offsets a denoiser that removes too much, EDM sec. 4)")]
    [Range(0.0, double.MaxValue)]
    public double SNoise { get; set; } = 1.0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (STmax is double max && max < STmin)
            yield return new ValidationResult($"'sTmax' ({max}) is below 'sTmin' ({STmin}): no step could churn; raise 'sTmax' or lower 'sTmin'",
                [nameof(STmax)]);
    }
}
