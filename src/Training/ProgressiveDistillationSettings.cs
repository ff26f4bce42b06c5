using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Host.Training;

/// <summary>The loss weighting of progressive distillation (Salimans and Ho 2022, Section 4).</summary>
public enum DistillationWeighting
{
    /// <summary>max(SNR, 1) ||x~ - x^||^2: the data-prediction error, never below the v-like weight where SNR &lt; 1.</summary>
    TruncatedSnr,
    /// <summary>(SNR + 1) ||x~ - x^||^2, which is ||v~ - v^||^2.</summary>
    SnrPlusOne,
}

/// <summary>
/// The "progressiveDistillation" section of a training file for a network of role progressive-distillation: the
/// teacher, and the rounds startSteps, startSteps / 2, ..., endSteps, each stepsPerRound optimizer steps.
/// </summary>
public sealed class ProgressiveDistillationSettings : IValidatableObject
{
    [Description("the teacher checkpoint: an eps-predicting UNet, or a distilled student of 2 x startSteps steps; a relative path is looked for in the training file's folder and the folders above it")]
    public string Teacher { get; set; } = "models/mnist-unet.ckpt";

    [Description("the first student's number of sampling steps (it learns two teacher steps on the grid of 2 x startSteps)"), Range(1, 1 << 20)]
    public int StartSteps { get; set; } = 256;

    [Description("the last student's number of steps; each round halves the steps from startSteps down to this"), Range(1, 1 << 20)]
    public int EndSteps { get; set; } = 1;

    [Description("optimizer steps of each round; the learning rate decays linearly to 0 within a round (Salimans and Ho 2022, Appendix)"), Range(1, 100_000_000)]
    public int StepsPerRound { get; set; } = 5000;

    [Description("loss weighting: truncatedSnr = max(SNR, 1) on x, snrPlusOne = SNR + 1 on x (the v error)")]
    public DistillationWeighting Weighting { get; set; } = DistillationWeighting.TruncatedSnr;

    [Description("clip the teacher's x_0 prediction to the data range [-1, 1] inside its two DDIM steps (bounds the targets where an eps teacher's x_0 = (z - sigma eps) / alpha is unstable, alpha -> 0); false = exactly two steps of the ddim solver")]
    public bool ClipTeacher { get; set; } = true;

    /// <summary>The students' step counts, round by round.</summary>
    public IReadOnlyList<int> Rounds()
    {
        var rounds = new List<int>();
        for (int n = StartSteps; n >= EndSteps; n /= 2) rounds.Add(n);
        return rounds;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (EndSteps > StartSteps)
            yield return new($"endSteps ({EndSteps}) is more than startSteps ({StartSteps})", [nameof(EndSteps)]);
        else if (StartSteps % EndSteps != 0 || !int.IsPow2(StartSteps / EndSteps))
            yield return new($"startSteps ({StartSteps}) must be endSteps ({EndSteps}) times a power of two: each round halves the steps", [nameof(EndSteps)]);
    }
}
