using System.Text;

namespace Pipeline.Host.Cli;

/// <summary>One ComfyUI KSampler sampler or scheduler name and what reproduces it here, or why nothing does yet.</summary>
/// <param name="Name">The name as ComfyUI spells it.</param>
/// <param name="Kind">"sampler" (a solver plugin here) or "scheduler" (a time-steps plugin).</param>
/// <param name="Plugin">The plugin that computes the same thing, or null when none does.</param>
/// <param name="Options">The plugin's options that make it do so, as JSON ("{}" for its defaults).</param>
/// <param name="Note">How it was checked, or what is missing.</param>
public sealed record ComfyUiName(string Name, string Kind, string? Plugin, string Options, string Note);

/// <summary>
/// ComfyUI's KSampler names (comfy/samplers.py: KSAMPLER_NAMES + ddim, uni_pc, uni_pc_bh2; SCHEDULER_NAMES) mapped to
/// the plugin and options that compute the same update or the same noise ratios. A name is mapped only where the
/// k-diffusion oracle confirms it (tests/Solvers.Tests/Parity/KDiffusionParityTests.cs, tests/Fixtures/Parity/kdiffusion)
/// or where the rule is the same closed form; every other name is listed with what is missing. `pipeline list --comfyui`
/// prints this table and docs/solvers.md holds the same text (a test keeps them equal).
/// </summary>
public static class ComfyUiNames
{
    const string Oracle = "k-diffusion oracle, float64, 1.5e-14 or less";
    const string Replayed = Oracle + ", same noise rows";
    const string NotChecked = "missing: no oracle run yet for ComfyUI's own implementation";
    const string NoPlugin = "missing: no plugin";

    public static IReadOnlyList<ComfyUiName> All { get; } =
    [
        new("euler", "sampler", "euler", "{}", Oracle),
        new("euler_ancestral", "sampler", "ddim", """{"eta": 1}""", Replayed + "; DDIM's eta noise is the ancestral sigma_up, s_noise 1 only"),
        new("heun", "sampler", "heun", "{}", Oracle),
        new("dpm_2", "sampler", "dpm2", "{}", Oracle + "; alias dpm_2"),
        new("dpm_2_ancestral", "sampler", "dpm2-ancestral", "{}", Replayed + "; alias dpm_2_ancestral"),
        // ComfyUI's sample_lms returns the data prediction on the step into sigma = 0; k-diffusion's takes that step
        // with the multistep weights ('lms' with its default options).
        new("lms", "sampler", "lms", """{"finalDenoise": true}""", "k-diffusion's sample_lms to 3.4e-15 (float64) down to the last sigma > 0, then the data prediction there to 1e-12 (LmsWithFinalDenoiseEndsOnTheDataPrediction)"),
        new("dpmpp_2m", "sampler", "dpm-solver++", """{"lowerOrderFinal": false}""", Oracle),
        new("dpmpp_2m_sde", "sampler", "sde-dpm-solver++", """{"lowerOrderFinal": false}""", Replayed + "; ComfyUI draws Brownian-tree increments"),
        new("dpmpp_2m_sde_gpu", "sampler", "sde-dpm-solver++", """{"lowerOrderFinal": false}""", "as dpmpp_2m_sde"),
        new("dpmpp_2m_sde_heun", "sampler", "sde-dpm-solver++", """{"lowerOrderFinal": false, "solverType": "heun"}""", Replayed),
        new("dpmpp_2m_sde_heun_gpu", "sampler", "sde-dpm-solver++", """{"lowerOrderFinal": false, "solverType": "heun"}""", "as dpmpp_2m_sde_heun"),
        // ComfyUI's "ddim" sampler is its Euler sampler (samplers.py: ksampler("euler")); DDIM with eta = 0 is that step.
        new("ddim", "sampler", "ddim", "{}", "ComfyUI runs sample_euler; " + Oracle),
        new("euler_cfg_pp", "sampler", null, "", NoPlugin + " (CFG++)"),
        new("euler_ancestral_cfg_pp", "sampler", null, "", NoPlugin + " (CFG++)"),
        new("heunpp2", "sampler", null, "", NoPlugin + " (Heun++)"),
        new("exp_heun_2_x0", "sampler", null, "", NoPlugin),
        new("exp_heun_2_x0_sde", "sampler", null, "", NoPlugin),
        new("dpm_fast", "sampler", null, "", NotChecked + " (dpm-solver adaptive order split; ComfyUI's own step rule)"),
        new("dpm_adaptive", "sampler", null, "", NotChecked + " (dpm-solver method adaptive)"),
        new("dpmpp_2s_ancestral", "sampler", null, "", NoPlugin),
        new("dpmpp_2s_ancestral_cfg_pp", "sampler", null, "", NoPlugin + " (CFG++)"),
        new("dpmpp_sde", "sampler", null, "", NoPlugin + " (DPM-Solver++ SDE singlestep, r = 1/2)"),
        new("dpmpp_sde_gpu", "sampler", null, "", NoPlugin),
        new("dpmpp_2m_cfg_pp", "sampler", null, "", NoPlugin + " (CFG++)"),
        new("dpmpp_3m_sde", "sampler", null, "", NoPlugin),
        new("dpmpp_3m_sde_gpu", "sampler", null, "", NoPlugin),
        new("ddpm", "sampler", null, "", NotChecked + " (ddpm on a VP schedule)"),
        new("lcm", "sampler", null, "", NotChecked + " (consistency)"),
        new("ipndm", "sampler", null, "", NotChecked),
        new("ipndm_v", "sampler", null, "", NotChecked),
        new("deis", "sampler", null, "", NotChecked + " (deis)"),
        new("res_multistep", "sampler", null, "", NoPlugin),
        new("res_multistep_cfg_pp", "sampler", null, "", NoPlugin + " (CFG++)"),
        new("res_multistep_ancestral", "sampler", null, "", NoPlugin),
        new("res_multistep_ancestral_cfg_pp", "sampler", null, "", NoPlugin + " (CFG++)"),
        new("gradient_estimation", "sampler", null, "", NoPlugin),
        new("gradient_estimation_cfg_pp", "sampler", null, "", NoPlugin + " (CFG++)"),
        new("er_sde", "sampler", null, "", NoPlugin),
        new("seeds_2", "sampler", null, "", NoPlugin),
        new("seeds_3", "sampler", null, "", NoPlugin),
        new("sa_solver", "sampler", null, "", NoPlugin),
        new("sa_solver_pece", "sampler", null, "", NoPlugin),
        new("uni_pc", "sampler", null, "", NotChecked + " (uni-pc, bh1)"),
        new("uni_pc_bh2", "sampler", null, "", NotChecked + " (uni-pc, bh2)"),
        // get_sigmas_karras(steps, sigma_min, sigma_max) of the model's sigma range, then 0: the same closed form.
        new("karras", "scheduler", "karras", """{"toZero": true}""", "same formula, range from the noise schedule"),
        new("exponential", "scheduler", "exponential", """{"toZero": true}""", "same formula, range from the noise schedule"),
        new("simple", "scheduler", null, "", "missing: its truncated index int(x N / steps) is 'trailing' only when steps divides N"),
        new("ddim_uniform", "scheduler", null, "", "missing: 'leading' with stepsOffset 1 only when (N - 1) // (N // steps) < steps"),
        new("normal", "scheduler", null, "", "missing: fractional timesteps with ComfyUI's log-sigma interpolation"),
        new("sgm_uniform", "scheduler", null, "", "missing: fractional timesteps with ComfyUI's log-sigma interpolation"),
        new("beta", "scheduler", null, "", NoPlugin),
        new("linear_quadratic", "scheduler", null, "", NoPlugin),
        new("kl_optimal", "scheduler", null, "", NoPlugin),
    ];

    /// <summary>The table as Markdown, one row per name; `list --comfyui` prints it and docs/solvers.md embeds it.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("| ComfyUI name | kind | plugin | options | checked |\n");
        text.Append("|---|---|---|---|---|\n");
        foreach (var n in All)
            text.Append($"| `{n.Name}` | {n.Kind} | {(n.Plugin is null ? "missing" : $"`{n.Plugin}`")} | {(n.Plugin is null ? "" : $"`{n.Options}`")} | {n.Note} |\n");
        return text.ToString();
    }
}
