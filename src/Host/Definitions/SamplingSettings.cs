using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Host.Definitions;

public enum SampleDType { Float32, Float64, BFloat16, Float16 }

/// <summary>The "sampling" section: how many samples, their shape, seeds, initial noise, device and precision.</summary>
public sealed class SamplingSettings : IValidatableObject
{
    [Description("Number of samples to generate"), Range(1, 100_000_000)]
    public int Count { get; set; } = 16;

    [Description("Samples per solver run; null = all at once up to 1024"), Range(1, 1_000_000)]
    public int? BatchSize { get; set; }

    [Description("Shape of one sample; null = the model's own")]
    public long[]? Shape { get; set; }

    [Description("Base seed; sample i uses a seed derived from (seed, i). null = a random seed, recorded in the resolved definition")]
    public long? Seed { get; set; }

    [Description("Explicit per-sample seeds (one per sample); overrides seed")]
    public long[]? Seeds { get; set; }

    [Description("Optional .npy file of initial noise, shape [count, ...shape], read as 'initialNoiseKind' says")]
    [Options.FilePath]
    public string? InitialNoise { get; set; }

    [Description("What the 'initialNoise' file holds: \"standard-normal\" = z ~ N(0, I), scaled to the schedule's prior at the first time like drawn noise " +
        "(x_T = z on VP schedules, sigma(t_0) z where alpha = 1: ve, edm); \"xt\" = x_T itself, used as it is")]
    public InitialNoiseKind InitialNoiseKind { get; set; } = InitialNoiseKind.StandardNormal;

    [Description("Class labels, one per sample (conditional models); -1 = unconditional")]
    public long[]? Labels { get; set; }

    [Description("For conditional models: sample i gets label i mod classes, so a grid shows one label per row")]
    public bool LabelsInRows { get; set; }

    [Description("\"auto\" (CUDA when available, else CPU), \"cpu\", \"cuda\" or \"cuda:N\"")]
    public string Device { get; set; } = "auto";

    [Description("Floating type of the sampling state and model input")]
    public SampleDType Dtype { get; set; } = SampleDType.Float32;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Seeds is not null && Seeds.Length != Count)
            yield return new($"'seeds' has {Seeds.Length} entries but 'count' is {Count}; give one seed per sample", [nameof(Seeds)]);
        if (Labels is not null && Labels.Length != Count)
            yield return new($"'labels' has {Labels.Length} entries but 'count' is {Count}; give one label per sample", [nameof(Labels)]);
        if (Labels is not null && LabelsInRows)
            yield return new("give either 'labels' or 'labelsInRows', not both", [nameof(LabelsInRows)]);
        if (Shape is not null && (Shape.Length == 0 || Shape.Any(s => s < 1)))
            yield return new("'shape' must list positive sizes", [nameof(Shape)]);
        if (InitialNoiseKind != InitialNoiseKind.StandardNormal && InitialNoise is null)
            yield return new($"'initialNoiseKind' is \"{Options.OptionsConventions.EnumName(InitialNoiseKind.ToString())}\" but no 'initialNoise' file is given; " +
                "add \"initialNoise\": \"<file>.npy\" or remove 'initialNoiseKind'", [nameof(InitialNoiseKind)]);
        if (!Runtime.DeviceSelector.IsValidSpec(Device))
            yield return new($"device '{Device}' is not one of \"auto\", \"cpu\", \"cuda\", \"cuda:N\"", [nameof(Device)]);
    }
}
