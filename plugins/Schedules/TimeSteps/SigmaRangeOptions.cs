using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

/// <summary>Options of the noise-level step rules (Karras, exponential): a step count between two noise ratios sigma / alpha.</summary>
public class SigmaRangeOptions : IValidatableObject
{
    [Description("Number of steps; the schedule gives steps + 1 times (with toZero the last of them is t = 0)"), Range(1, 100_000)]
    public int Steps { get; set; } = 10;

    [Description("Smallest noise ratio sigma/alpha; null = the noise schedule's at tMin"), Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
    public double? SigmaMin { get; set; }

    [Description("Largest noise ratio sigma/alpha, where sampling starts; null = the noise schedule's at tMax"), Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
    public double? SigmaMax { get; set; }

    [Description("Append t = 0 (sigma = 0) as the final time: steps - 1 intervals from sigmaMax to sigmaMin, then one to 0 (k-diffusion's append_zero)")]
    public bool ToZero { get; set; }

    public virtual IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SigmaMin is double lo && SigmaMax is double hi && !(hi > lo))
            yield return OptionsValidation.Error(nameof(SigmaMax), $"({hi}) must exceed 'sigmaMin' ({lo})");
    }

    /// <summary>The noise-ratio range, defaults from the schedule's ends.</summary>
    internal (double Min, double Max) Resolve(Pipeline.Schedules.INoiseSchedule schedule, string plugin)
    {
        double min = SigmaMin ?? NoiseRatio(schedule, schedule.TMin);
        double max = SigmaMax ?? NoiseRatio(schedule, schedule.TMax);
        if (!(max > min))
            throw new Pipeline.Options.PipelineInputException(
                $"{plugin}: 'sigmaMax' ({max}) must exceed 'sigmaMin' ({min}); set them (defaults are the noise schedule's at tMax and tMin)");
        return (min, max);
    }

    static double NoiseRatio(Pipeline.Schedules.INoiseSchedule s, double t) => s.Sigma(t) / s.Alpha(t);

    /// <summary>
    /// Maps decreasing noise ratios to times; ends left at their defaults land exactly on tMax / tMin, and with
    /// toZero a final t = 0 follows.
    /// </summary>
    internal double[] ToTimes(double[] sigmas, Pipeline.Schedules.INoiseSchedule schedule)
    {
        var times = new double[sigmas.Length + (ToZero ? 1 : 0)];
        for (int i = 0; i < sigmas.Length; i++) times[i] = schedule.TimeOfNoiseRatio(sigmas[i]);
        if (SigmaMax is null) times[0] = schedule.TMax;
        if (SigmaMin is null && sigmas.Length > 1) times[sigmas.Length - 1] = schedule.TMin;
        if (ToZero) times[^1] = 0.0;
        return times;
    }

    /// <summary>How many noise levels lie on the sigmaMax .. sigmaMin ramp.</summary>
    internal int RampLength => ToZero ? Steps : Steps + 1;
}
