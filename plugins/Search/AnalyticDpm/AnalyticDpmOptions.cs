using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Search.AnalyticDpm;

/// <summary>Where the table of Gamma(t) is estimated.</summary>
public enum VarianceTimes
{
    /// <summary>Every training step of a discrete schedule (covers every run on it); a grid of 'points' times otherwise.</summary>
    Auto,
    /// <summary>The times the pipeline's steps start from (cheapest; the table then serves runs whose steps start within their range).</summary>
    Pipeline,
    /// <summary>'points' times uniform in t over [TMin, TMax]; runs in between interpolate linearly.</summary>
    Grid,
}

public sealed class AnalyticDpmOptions : IValidatableObject
{
    [Description("Monte Carlo draws (x_0, eps) per time; the same draws serve every time, so the table is smooth in t"), Range(2, 10_000_000)]
    public int Samples { get; set; } = 256;

    [Description("draws evaluated per model call; null = the pipeline's batch size"), Range(1, 1_000_000)]
    public int? BatchSize { get; set; }

    [Description("seed of the data draws and their noise")]
    public long Seed { get; set; }

    [Description("where Gamma is estimated: 'auto' (every training step of a discrete schedule, else a grid), 'pipeline' (its times) or 'grid'")]
    public VarianceTimes Times { get; set; } = VarianceTimes.Auto;

    [Description("number of grid times for 'grid' (and 'auto' on continuous schedules)"), Range(2, 100_000)]
    public int Points { get; set; } = 500;

    [Description("[low, high] bounds of every data coordinate (e.g. [-1, 1] for images), written into the table: they give the bound of " +
                 "Bao et al.'s Theorem 2 that clips the variance on the last steps; null for unbounded data")]
    public double[]? DataRange { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DataRange is { } r && (r.Length != 2 || !(r[1] > r[0]) || !r.All(double.IsFinite)))
            yield return new("'dataRange' must be [low, high] with low < high, e.g. [-1, 1]", [nameof(DataRange)]);
    }
}
