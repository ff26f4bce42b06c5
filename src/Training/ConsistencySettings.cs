using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Host.Training;

/// <summary>How a consistency student (network mnist-consistency) learns.</summary>
public enum ConsistencyMethod
{
    /// <summary>Consistency distillation (Song et al. 2023, Algorithm 2): the pair's lower point is the teacher's ODE step.</summary>
    Distillation,
    /// <summary>Consistency training (Song et al. 2023, Algorithm 3): no teacher, both points share one noise z; N(k) and mu(k) of Appendix C.</summary>
    Training,
    /// <summary>Improved consistency training (Song and Dhariwal 2023): doubling N(k), lognormal noise index, weight 1 / (sigma_(i+1) - sigma_i), no EMA in the target.</summary>
    Improved,
}

/// <summary>
/// The "consistency" section of a training file for network mnist-consistency: the method, and for consistency training
/// (without a teacher) its discretisation curriculum N(k), the target's decay mu(k), the lognormal distribution of the
/// noise index and the weights the student starts from. Distillation reads only "method"; its options are the file's
/// own (teacher, consistencySteps, teacherSolver, targetDecay).
/// </summary>
public sealed class ConsistencySettings : IValidatableObject
{
    /// <summary>The section's key in a training file.</summary>
    public const string Section = "consistency";

    [Description("'distillation' (from the teacher's ODE step, Algorithm 2 of Song et al. 2023), 'training' (no teacher, Algorithm 3) or 'improved' (no teacher, Song and Dhariwal 2023)")]
    public ConsistencyMethod Method { get; set; } = ConsistencyMethod.Distillation;

    [Description("training / improved: an eps UNet checkpoint written by 'train' whose weights (and architecture) the student starts from; null = random initialisation from \"architecture\"")]
    public string? InitialWeights { get; set; }

    [Description("training / improved: s0 of the curriculum N(k); null = 2 (training) or 10 (improved)"), Range(1, 100_000)]
    public int? InitialSteps { get; set; }

    [Description("training / improved: s1 of the curriculum N(k); null = 150 (training) or 1280 (improved)"), Range(1, 100_000)]
    public int? FinalSteps { get; set; }

    [Description("training: mu0, the target's decay at k = 0; mu(k) = exp(s0 log mu0 / N(k)) (Song et al. 2023, Appendix C)"), Range(0.0, 0.999999)]
    public double InitialTargetDecay { get; set; } = 0.9;

    [Description("improved: P_mean of the lognormal distribution of sigma over the noise index (Song and Dhariwal 2023, section 3.5)"), Range(-20.0, 20.0)]
    public double NoiseMean { get; set; } = -1.1;

    [Description("improved: P_std of the lognormal distribution of sigma over the noise index"), Range(1e-3, 20.0)]
    public double NoiseStd { get; set; } = 2.0;

    /// <summary>s0 with its default for the method.</summary>
    public int S0 => InitialSteps ?? (Method == ConsistencyMethod.Improved ? 10 : 2);

    /// <summary>s1 with its default for the method.</summary>
    public int S1 => FinalSteps ?? (Method == ConsistencyMethod.Improved ? 1280 : 150);

    /// <summary>The options only the teacher-free methods read.</summary>
    public static readonly string[] TrainingOnly = ["initialWeights", "initialSteps", "finalSteps", "initialTargetDecay", "noiseMean", "noiseStd"];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (S0 > S1)
            yield return new($"initialSteps ({S0}) is more than finalSteps ({S1}); the curriculum N(k) grows from s0 to s1", [nameof(FinalSteps)]);
    }
}
