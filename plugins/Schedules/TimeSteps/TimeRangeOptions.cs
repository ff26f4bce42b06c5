using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

/// <summary>Options of the DPM-Solver step rules: a step count between two times.</summary>
public sealed class TimeRangeOptions : IValidatableObject
{
    [Description("Number of steps; the schedule gives steps + 1 times"), Range(1, 100_000)]
    public int Steps { get; set; } = 10;

    [Description("First time (sampling starts here); null = the noise schedule's tMax")]
    public double? TStart { get; set; }

    [Description("Last time; null = the noise schedule's tMin (1/N for discrete schedules)")]
    public double? TEnd { get; set; }

    internal (double Start, double End) Resolve(Pipeline.Schedules.INoiseSchedule schedule, string plugin)
    {
        double start = TStart ?? schedule.TMax, end = TEnd ?? schedule.TMin;
        if (!(start > end))
            throw new Pipeline.Options.PipelineInputException(
                $"{plugin}: 'tStart' ({start}) must be above 'tEnd' ({end}); set them (defaults are the noise schedule's tMax and tMin)");
        return (start, end);
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TStart is double s && !(s > 0))
            yield return OptionsValidation.Error(nameof(TStart), $"({s}) must be positive");
        if (TEnd is double e && !(e >= 0))
            yield return OptionsValidation.Error(nameof(TEnd), $"({e}) must be zero or positive");
        if (TStart is double a && TEnd is double b && !(a > b))
            yield return OptionsValidation.Error(nameof(TEnd), $"({b}) must be below 'tStart' ({a}): times decrease");
    }
}
