using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

/// <summary>Options of the diffusers timestep_spacing rules (linspace, leading, trailing).</summary>
public sealed class SpacingOptions : IValidatableObject
{
    [Description("Number of model evaluations; the schedule gives steps + 1 times (the last is the final target)"), Range(1, 100_000)]
    public int Steps { get; set; } = 10;

    [Description("diffusers steps_offset, added to every index by the 'leading' rule only (as diffusers does)"), Range(0, 1_000_000)]
    public int StepsOffset { get; set; }

    [Description("Final target after the last evaluation: true = t 0 (alpha_bar 1; DDIM set_alpha_to_one, DPM-Solver final_sigmas_type 'zero'); false = t 1/N (training step 0; 'sigma_min')")]
    public bool SetAlphaToOne { get; set; } = true;

    [Description("ddim = DDIMScheduler/DDPMScheduler rule; dpm-solver-multistep = DPMSolverMultistep/UniPC/DEIS rule")]
    public SpacingVariant Variant { get; set; } = SpacingVariant.Ddim;

    [Description("dpm-solver-multistep only: diffusers lambda_min_clipped; training steps whose lambda is below it are never started from; null = no clipping")]
    public double? LambdaMinClipped { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LambdaMinClipped is not null && Variant != SpacingVariant.DpmSolverMultistep)
            yield return OptionsValidation.Error(nameof(LambdaMinClipped),
                "applies to variant 'dpm-solver-multistep' only; remove it or set 'variant' to 'dpm-solver-multistep'");
        if (LambdaMinClipped is double l && double.IsNaN(l))
            yield return OptionsValidation.Error(nameof(LambdaMinClipped), "is not a number");
    }
}
