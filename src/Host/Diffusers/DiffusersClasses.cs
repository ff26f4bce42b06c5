using System.Text;

namespace Pipeline.Host.Diffusers;

/// <summary>One diffusers scheduler class: what its import gives and how far the imported run is from diffusers'.</summary>
/// <param name="ClassName">diffusers' <c>_class_name</c>.</param>
/// <param name="Plugins">The solver and time-step plugins the import chooses, with the options that depend on the config.</param>
/// <param name="Parity">Max |diff| of the imported runs against diffusers' fixture runs (float64 / float32), or why none.</param>
/// <param name="Refused">What the import refuses for this class, with the reason in the error.</param>
public sealed record DiffusersClass(string ClassName, string Plugins, string Parity, string Refused);

/// <summary>
/// The classes <see cref="DiffusersImporter"/> maps, as a table: `pipeline list --diffusers` prints it and
/// docs/solvers.md holds the same text (a test keeps them equal). The parity figures are the worst over the fixture
/// cases of tests/Fixtures/Parity/diffusers (cases.json, and sigma_cases.json for the sigma-based schedulers), imported
/// and run through the host (DiffusersImportParityTests).
/// </summary>
public static class DiffusersClasses
{
    public static IReadOnlyList<DiffusersClass> All { get; } =
    [
        new("DDIMScheduler", "`ddim` (eta 0); `leading` / `trailing`, `variant: ddim`, `stepsOffset`, `setAlphaToOne`",
            "6 runs: 4.4e-15 / 3.8e-6",
            "`timestep_spacing: linspace`; `clip_sample` / `thresholding` true (diffusers keeps the model's eps)"),
        new("PNDMScheduler", "`plms` (`skip_prk_steps`) / `pndm`; `leading` / `trailing`, `variant: ddim`",
            "8 runs: 1.4e-14 / 4.6e-6",
            "`timestep_spacing: linspace`"),
        new("DPMSolverMultistepScheduler", "`dpm-solver++` / `dpm-solver` (`method: multistep`, `lowerOrderFinalBelow: 15`) / `sde-dpm-solver++`; `linspace` / `leading` / `trailing`, `variant: dpm-solver-multistep`; `karras` / `exponential`; `dynamic-threshold` guidance",
            "32 runs: 5.1e-14 / 5.9e-5; Karras 4 runs: 2.4e-3 (model at the exact time, see below)",
            "`sde-dpmsolver`; `dpmsolver` into sigma 0; order 3 SDE; `use_beta_sigmas`, `use_lu_lambdas`, `euler_at_final`, `variance_type`"),
        new("DPMSolverSinglestepScheduler", "`dpm-solver++` / `dpm-solver`, `method: singlestep`, `singlestepGrid: given`",
            "8 runs: 1.5e-14 / 1.4e-5",
            "configs whose order list or third-order midpoint stage differs from the authors' (10 of the 18 fixture runs)"),
        new("UniPCMultistepScheduler", "`unipc` (`order`, `prediction`, `variant`, `corrector: true`); spacings as DPMSolverMultistep",
            "22 runs: 3.9e-14 / 9.3e-6 (12 more where diffusers is NaN and the import is finite)",
            "`disable_corrector`, `solver_p`; Karras / exponential into `sigma_min`"),
        new("DEISMultistepScheduler", "`deis`, `variant: logrho`; spacings with `setAlphaToOne: false`",
            "20 runs: 3.0e-13 / 7.9e-5 (one run 1.37e-4: diffusers' own float32 error)",
            "Karras / exponential sigmas"),
        new("EulerDiscreteScheduler", "`euler` (`sChurn: 0`); `explicit` times with diffusers' interpolated noise ratios (`indices` where the timesteps are integers), `appendZero` unless `final_sigmas_type: sigma_min`; `karras` / `exponential` between the spaced ratios",
            "10 runs: 7.7e-15 / 2.0e-6; Karras 2 runs: 3.8e-15 / 4.7e-6",
            "`interpolation_type: log_linear`, `use_beta_sigmas`, `clip_sample`, `sigma_min` after a last timestep 0 or with Karras"),
        new("HeunDiscreteScheduler", "`heun` (`sChurn: 0`); times as EulerDiscrete, always into sigma 0",
            "8 runs: 5.3e-15 / 4.0e-6; Karras 2 runs: 3.8e-15 / 1.9e-6",
            "as EulerDiscrete"),
        new("LMSDiscreteScheduler", "`lms` (`order: 4`, `finalDenoise: false`); times as HeunDiscrete",
            "8 runs: 9.4e-15 / 4.1e-6; Karras 2 runs: 6.3e-15 / 6.3e-6",
            "as EulerDiscrete"),
        new("KDPM2DiscreteScheduler", "`dpm2` (`sChurn: 0`); times as HeunDiscrete",
            "8 runs: 7.2e-15 / 2.6e-6; Karras 2 runs: 8.1e-15 / 2.2e-6",
            "as EulerDiscrete"),
    ];

    /// <summary>The table as Markdown, one row per class.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("| diffusers class | plugins | parity (float64 / float32 max abs diff) | refused |\n");
        text.Append("|---|---|---|---|\n");
        foreach (var c in All) text.Append($"| `{c.ClassName}` | {c.Plugins} | {c.Parity} | {c.Refused} |\n");
        return text.ToString();
    }
}
