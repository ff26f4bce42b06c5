using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

public sealed class ExplicitTimeStepsOptions : IValidatableObject
{
    [Description("The times, strictly decreasing, in [0, tMax]; the last one may be 0")]
    public double[]? Times { get; set; }

    [Description("Training-step indices (discrete schedules), strictly decreasing; index i is time (i + 1) / N")]
    public long[]? Indices { get; set; }

    [Description("A .npy array or a .json array of times (or a .json object with 'times' or 'indices'); relative to the definition's folder")]
    [Pipeline.Options.FilePath]
    public string? File { get; set; }

    [Description("Append t = 0 (clean data) after the listed times")]
    public bool AppendZero { get; set; }

    [Description("Optional check: the number of steps the list must give (its length - 1)"), Range(1, 100_000)]
    public int? Steps { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        int given = (Times is null ? 0 : 1) + (Indices is null ? 0 : 1) + (string.IsNullOrWhiteSpace(File) ? 0 : 1);
        if (given != 1)
            yield return new ValidationResult(
                given == 0
                    ? "give exactly one of 'times', 'indices' or 'file'; none was given"
                    : "give exactly one of 'times', 'indices' or 'file'; several were given",
                [nameof(Times), nameof(Indices), nameof(File)]);
    }
}
