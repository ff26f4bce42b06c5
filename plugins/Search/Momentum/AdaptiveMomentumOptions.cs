using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Search.Momentum;

/// <summary>How the momentum mixes its history m with the new update d.</summary>
public enum MomentumWeights
{
    /// <summary>m = sin^2(b pi/2) m + cos^2(b pi/2) d: an exponential average (weights sum to 1).</summary>
    Convex,
    /// <summary>m = sin(b pi/2) m + cos(b pi/2) d: the squared weights sum to 1, so independent noise in the updates keeps its variance.</summary>
    Trigonometric,
}

public sealed class AdaptiveMomentumOptions : IValidatableObject
{
    [Description("momentum b on the first step (the paper's b_max); b = 0 is no momentum, b -> 1 keeps only the history"), Range(0.0, 0.99)]
    public double MomentumMax { get; set; } = 0.1;

    [Description("momentum b on the last step (b_min); b moves linearly in the step index between the two"), Range(0.0, 0.99)]
    public double MomentumMin { get; set; }

    [Description("false: b falls from momentumMax to momentumMin over the run; true: it rises")]
    public bool Ascending { get; set; }

    [Description("'convex' (sin^2, cos^2: an exponential average) or 'trigonometric' (sin, cos: keeps the variance of the updates' noise)")]
    public MomentumWeights Weights { get; set; } = MomentumWeights.Convex;

    [Description("decay c of the per-sample mean square of the updates that paces each step (the paper's c); 1 = no adaptive pace"), Range(0.0, 1.0)]
    public double PaceDecay { get; set; } = 1.0;

    [Description("added to both root mean squares of the pace ratio, so a zero update stays finite"), Range(0.0, 1.0)]
    public double Epsilon { get; set; } = 1e-8;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MomentumMin > MomentumMax)
            yield return new("'momentumMin' must not exceed 'momentumMax' (use 'ascending' to let b rise)", [nameof(MomentumMin)]);
    }
}
