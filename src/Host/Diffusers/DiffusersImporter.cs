using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Diffusers;

/// <summary>
/// Turns a diffusers scheduler config (<c>_class_name</c> and its keys) and a step count into the equivalent noise
/// schedule, time-step schedule and solver. The mapping is the one the diffusers parity fixtures confirm
/// (tests/Fixtures/Parity/diffusers, docs/solvers.md "Importing a diffusers scheduler config"); a value this project
/// does not reproduce is refused at its key with the reason, a key the importer does not know is reported as a warning.
/// </summary>
public static class DiffusersImporter
{
    /// <summary>The classes this importer maps (the table in <see cref="DiffusersClasses"/> says how each is checked).</summary>
    public static IReadOnlyList<string> Classes { get; } =
    [
        "DDIMScheduler", "PNDMScheduler", "DPMSolverMultistepScheduler", "DPMSolverSinglestepScheduler",
        "UniPCMultistepScheduler", "DEISMultistepScheduler",
        "EulerDiscreteScheduler", "HeunDiscreteScheduler", "LMSDiscreteScheduler", "KDPM2DiscreteScheduler",
    ];

    /// <summary>Classes whose beta_start / beta_end defaults are Stable Diffusion's (0.00085, 0.012) rather than 1e-4, 0.02.</summary>
    static readonly HashSet<string> StableDiffusionBetaDefaults = ["HeunDiscreteScheduler", "KDPM2DiscreteScheduler"];

    /// <summary>Imports <paramref name="config"/> for <paramref name="steps"/> model evaluations of diffusers' <c>set_timesteps</c>.</summary>
    /// <param name="config">The scheduler config.</param>
    /// <param name="steps">diffusers' num_inference_steps.</param>
    /// <param name="diffusersConventions">
    /// Reproduce diffusers' conventions where they differ from the exact method and a setting here reproduces them
    /// (the model at the nearest training step of Karras / exponential sigmas); false (default) keeps the exact method.
    /// </param>
    public static DiffusersImport Import(DiffusersConfig config, int steps, bool diffusersConventions = false)
    {
        string cls = config.ClassName;
        if (!Classes.Contains(cls))
            throw config.Error("_class_name", $"\"{cls}\" is not imported (imported: {string.Join(", ", Classes)})");
        var warnings = new List<string>();
        var schedule = NoiseSchedule(config, warnings, StableDiffusionBetaDefaults.Contains(cls));
        int n = config.Int("num_train_timesteps", 1000);
        if (steps > n) throw config.Error("num_train_timesteps", $"{steps} steps is more than the {n} training steps");
        var guidance = new List<JObject>();
        var (timeSteps, solver) = cls switch
        {
            "DDIMScheduler" => Ddim(config, steps),
            "PNDMScheduler" => Pndm(config, steps),
            "DPMSolverMultistepScheduler" => DpmMultistep(config, steps, guidance, warnings),
            "DPMSolverSinglestepScheduler" => DpmSinglestep(config, steps, guidance),
            "UniPCMultistepScheduler" => UniPc(config, steps, guidance, warnings),
            "DEISMultistepScheduler" => Deis(config, steps, guidance),
            _ => SigmaFamily(config, cls, steps, schedule),
        };
        if ((string?)timeSteps["type"] is "karras" or "exponential")
        {
            if (diffusersConventions) schedule["modelTime"] = "nearest-step";
            else warnings.Add($"{config.Path}.{(timeSteps["type"]!.ToString() == "karras" ? "use_karras_sigmas" : "use_exponential_sigmas")}: diffusers evaluates the model at the nearest training step of each noise ratio; this runs it at the ratio's exact time (on the parity mixture 2.0e-3 at 10 steps, 2.4e-3 at 20); \"conventions\": \"diffusers\" reproduces diffusers");
        }
        foreach (var key in config.UnusedKeys())
            warnings.Add($"{config.Path}.{key}: unknown key for {cls}, ignored (check that it changes nothing)");
        return new DiffusersImport(cls, schedule, timeSteps, solver, guidance, warnings);
    }

    /// <summary>The "discrete" schedule of the betas keys; prediction_type is the model's, not the schedule's.</summary>
    static JObject NoiseSchedule(DiffusersConfig c, List<string> warnings, bool stableDiffusionDefaults)
    {
        var o = new JObject { ["type"] = "discrete", ["trainingSteps"] = c.Int("num_train_timesteps", 1000) };
        if (c.Token("trained_betas") is { } betas)
        {
            if (betas is not JArray a || a.Any(b => b.Type is not (JTokenType.Float or JTokenType.Integer)))
                throw c.Error("trained_betas", "must be an array of numbers");
            if (a.Count != (int)o["trainingSteps"]!) throw c.Error("trained_betas", $"has {a.Count} betas, num_train_timesteps is {o["trainingSteps"]}");
            o["betas"] = a.DeepClone();
            c.Ignore("beta_schedule", "beta_start", "beta_end");
        }
        else
        {
            o["betaSchedule"] = c.Str("beta_schedule", "linear") switch
            {
                "linear" => "linear",
                "scaled_linear" => "scaled-linear",
                "squaredcos_cap_v2" => "squaredcos-cap-v2",
                var other => throw c.Error("beta_schedule", $"\"{other}\" is not reproduced here: the discrete schedule has linear, scaled_linear and squaredcos_cap_v2"),
            };
            // diffusers' defaults are 1e-4 and 0.02 whatever the schedule; ours depend on it, so both are written.
            o["betaStart"] = c.Num("beta_start", stableDiffusionDefaults ? 0.00085 : 1e-4);
            o["betaEnd"] = c.Num("beta_end", stableDiffusionDefaults ? 0.012 : 0.02);
        }
        c.Require("rescale_betas_zero_snr", c.Bool("rescale_betas_zero_snr", false), false,
            "zero terminal SNR (alpha_bar = 0 at the last training step) has no discrete schedule here");
        c.Require("timestep_type", c.Str("timestep_type", "discrete"), "discrete", "only discrete timesteps");
        var prediction = c.Str("prediction_type", "epsilon");
        if (prediction is not ("epsilon" or "sample" or "v_prediction"))
            throw c.Error("prediction_type", $"\"{prediction}\" is not one of epsilon, sample, v_prediction");
        if (prediction != "epsilon")
            warnings.Add($"{c.Path}.prediction_type: \"{prediction}\" is the model's output here: the model plugin declares what it predicts (check that it predicts {(prediction == "sample" ? "x0" : "v")})");
        foreach (var flow in new[] { "use_flow_sigmas", "use_dynamic_shifting" })
            c.Require(flow, c.Bool(flow, false), false, "flow-matching sigmas are not imported");
        return o;
    }

    static (JObject, JObject) Ddim(DiffusersConfig c, int steps)
    {
        // diffusers clips (or thresholds) x_0 and keeps the model's eps in the update; the 'clip' guidance here
        // recomputes eps from the clipped x_0, a different update wherever the clip is active.
        c.Require("clip_sample", c.Bool("clip_sample", true), false,
            "DDIMScheduler clips x_0 but keeps the model's eps; the 'clip' guidance recomputes eps from the clipped x_0 (set clip_sample false, or add guidance 'clip' knowing it differs)");
        c.Require("thresholding", c.Bool("thresholding", false), false, "DDIMScheduler thresholds x_0 but keeps the model's eps (as clip_sample)");
        c.Ignore("clip_sample_range", "sample_max_value", "dynamic_thresholding_ratio");
        var timeSteps = DdimSpacing(c, steps, "leading", setAlphaToOneDefault: true,
            "DDIMScheduler with 'linspace' steps from timestep k to k - N // steps, not to the next timestep of its list, so no time grid reproduces it");
        return (timeSteps, new JObject { ["type"] = "ddim", ["eta"] = 0.0 });
    }

    static (JObject, JObject) Pndm(DiffusersConfig c, int steps)
    {
        var timeSteps = DdimSpacing(c, steps, "leading", setAlphaToOneDefault: false,
            "PNDMScheduler with 'linspace' steps by N // steps from its rounded linspace timesteps, which no time grid reproduces");
        return (timeSteps, new JObject { ["type"] = c.Bool("skip_prk_steps", false) ? "plms" : "pndm" });
    }

    /// <summary>DDIM/PNDM rule: 'leading' or 'trailing' with variant ddim, stepsOffset, setAlphaToOne.</summary>
    static JObject DdimSpacing(DiffusersConfig c, int steps, string fallback, bool setAlphaToOneDefault, string linspaceReason)
    {
        var spacing = c.Str("timestep_spacing", fallback);
        if (spacing == "linspace") throw c.Error("timestep_spacing", $"\"linspace\" is not reproduced here: {linspaceReason}; use \"leading\" or \"trailing\"");
        if (spacing is not ("leading" or "trailing")) throw c.Error("timestep_spacing", $"\"{spacing}\" is not a diffusers spacing (linspace, leading, trailing)");
        return new JObject
        {
            ["type"] = spacing, ["steps"] = steps, ["stepsOffset"] = c.Int("steps_offset", 0),
            ["setAlphaToOne"] = c.Bool("set_alpha_to_one", setAlphaToOneDefault), ["variant"] = "ddim",
        };
    }

    /// <summary>
    /// The DPMSolverMultistep/UniPC/DEIS rule: a spacing plugin with variant dpm-solver-multistep, or the Karras /
    /// exponential noise ratios between the first and last training steps' ratios. Returns the section and the
    /// number of steps it lists (Karras into "sigma_min" lists one fewer: diffusers repeats the smallest ratio).
    /// </summary>
    static (JObject Section, bool SigmaRamp) MultistepTimes(DiffusersConfig c, int steps, bool finalZero, bool rampToSigmaMin, List<string>? warnings)
    {
        bool karras = c.Bool("use_karras_sigmas", false), exponential = c.Bool("use_exponential_sigmas", false);
        c.Require("use_beta_sigmas", c.Bool("use_beta_sigmas", false), false, "there is no beta-distribution time-step plugin");
        c.Require("use_lu_lambdas", c.Bool("use_lu_lambdas", false), false, "there is no Lu lambdas time-step rule (use the logsnr-uniform plugin, a different list)");
        if (karras && exponential) throw c.Error("use_exponential_sigmas", "only one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas may be true");
        var spacing = c.Str("timestep_spacing", "linspace");
        if (spacing is not ("linspace" or "leading" or "trailing")) throw c.Error("timestep_spacing", $"\"{spacing}\" is not a diffusers spacing (linspace, leading, trailing)");
        double lambdaMin = c.Num("lambda_min_clipped", double.NegativeInfinity);
        if (karras || exponential)
        {
            string key = karras ? "use_karras_sigmas" : "use_exponential_sigmas";
            if (!finalZero && !rampToSigmaMin)
                throw c.Error(key, "true is not reproduced here with this final sigma: diffusers repeats the smallest ratio, a step of length 0 that only DPMSolverMultistepScheduler's import leaves out");
            if (!double.IsNegativeInfinity(lambdaMin)) throw c.Error("lambda_min_clipped", "is not reproduced with Karras or exponential sigmas");
            c.Ignore("timestep_spacing", "steps_offset");
            return (new JObject
            {
                ["type"] = karras ? "karras" : "exponential", ["steps"] = finalZero ? steps : steps - 1, ["toZero"] = finalZero,
            }, true);
        }
        var o = new JObject
        {
            ["type"] = spacing, ["steps"] = steps, ["stepsOffset"] = c.Int("steps_offset", 0),
            ["setAlphaToOne"] = finalZero, ["variant"] = "dpm-solver-multistep",
        };
        if (!double.IsNegativeInfinity(lambdaMin)) o["lambdaMinClipped"] = lambdaMin;
        return (o, false);
    }

    static bool FinalZero(DiffusersConfig c) => c.Str("final_sigmas_type", "zero") switch
    {
        "zero" => true,
        "sigma_min" => false,
        var other => throw c.Error("final_sigmas_type", $"\"{other}\" is not one of zero, sigma_min"),
    };

    /// <summary>diffusers' thresholding (dynamic, Saharia et al. 2022) as the dynamic-threshold guidance.</summary>
    static void Thresholding(DiffusersConfig c, List<JObject> guidance)
    {
        if (!c.Bool("thresholding", false)) { c.Ignore("dynamic_thresholding_ratio", "sample_max_value"); return; }
        guidance.Add(new JObject
        {
            ["type"] = "dynamic-threshold", ["percentile"] = c.Num("dynamic_thresholding_ratio", 0.995), ["maxValue"] = c.Num("sample_max_value", 1.0),
        });
    }

    static (JObject, JObject) DpmMultistep(DiffusersConfig c, int steps, List<JObject> guidance, List<string> warnings)
    {
        int order = c.Int("solver_order", 2);
        if (order is < 1 or > 3) throw c.Error("solver_order", $"{order} is not 1, 2 or 3");
        bool finalZero = FinalZero(c);
        var algorithm = c.Str("algorithm_type", "dpmsolver++");
        string type = algorithm switch
        {
            "dpmsolver++" => "dpm-solver++",
            "dpmsolver" => "dpm-solver",
            "sde-dpmsolver++" => "sde-dpm-solver++",
            "sde-dpmsolver" => throw c.Error("algorithm_type", "\"sde-dpmsolver\" is not reproduced here: there is no SDE-DPM-Solver (noise prediction) plugin; use \"sde-dpmsolver++\""),
            _ => throw c.Error("algorithm_type", $"\"{algorithm}\" is not one of dpmsolver++, dpmsolver, sde-dpmsolver++, sde-dpmsolver"),
        };
        if (type == "dpm-solver" && finalZero)
            throw c.Error("algorithm_type", "\"dpmsolver\" into sigma = 0 (final_sigmas_type \"zero\") is not reproduced: its last noise-prediction step multiplies sigma = 0 by e^h = infinity; set final_sigmas_type \"sigma_min\" or use \"dpmsolver++\"");
        if (type == "sde-dpm-solver++" && order == 3) throw c.Error("solver_order", "3 with \"sde-dpmsolver++\" is not reproduced: the SDE plugin has orders 1 and 2");
        var solverType = c.Str("solver_type", "midpoint");
        if (solverType is not ("midpoint" or "heun")) throw c.Error("solver_type", $"\"{solverType}\" is not one of midpoint, heun");
        c.Require("euler_at_final", c.Bool("euler_at_final", false), false, "the final first-order step is lower_order_final's, below 15 steps only");
        c.Require("variance_type", c.Str("variance_type", "none"), "none", "a model that predicts its variance is not imported");
        bool lowerOrderFinal = c.Bool("lower_order_final", true);
        var (times, ramp) = MultistepTimes(c, steps, finalZero, rampToSigmaMin: true, warnings);
        Thresholding(c, guidance);
        var solver = new JObject { ["type"] = type };
        if (type != "sde-dpm-solver++") solver["method"] = "multistep";
        solver["order"] = order;
        solver["solverType"] = solverType;
        // The Karras ramp into "sigma_min": diffusers' lowered last step is its zero-length step, so its last real
        // step is the one before, lowered to at most second order; for order 2 that is no lowering on the list here.
        solver["lowerOrderFinal"] = lowerOrderFinal && !(ramp && !finalZero && order == 2 && steps < 15);
        solver["lowerOrderFinalBelow"] = 15;
        if (type == "sde-dpm-solver++") warnings.Add($"{c.Path}.algorithm_type: \"sde-dpmsolver++\" draws its noise from the run's noise source, not from torch's generator");
        return (times, solver);
    }

    static (JObject, JObject) DpmSinglestep(DiffusersConfig c, int steps, List<JObject> guidance)
    {
        int order = c.Int("solver_order", 2);
        if (order is < 1 or > 3) throw c.Error("solver_order", $"{order} is not 1, 2 or 3");
        bool finalZero = FinalZero(c);
        var algorithm = c.Str("algorithm_type", "dpmsolver++");
        string type = algorithm switch
        {
            "dpmsolver++" => "dpm-solver++",
            "dpmsolver" => "dpm-solver",
            _ => throw c.Error("algorithm_type", $"\"{algorithm}\" is not imported for DPMSolverSinglestepScheduler (dpmsolver++, dpmsolver)"),
        };
        if (type == "dpm-solver" && finalZero)
            throw c.Error("algorithm_type", "\"dpmsolver\" into sigma = 0 (final_sigmas_type \"zero\") is not reproduced; set final_sigmas_type \"sigma_min\" or use \"dpmsolver++\"");
        var solverType = c.Str("solver_type", "midpoint");
        if (solverType is not ("midpoint" or "heun")) throw c.Error("solver_type", $"\"{solverType}\" is not one of midpoint, heun");
        c.Require("lower_order_final", c.Bool("lower_order_final", true), true, "only diffusers' default order list is compared");
        c.Require("use_karras_sigmas", c.Bool("use_karras_sigmas", false), false, "not compared for the singlestep scheduler");
        c.Require("use_exponential_sigmas", c.Bool("use_exponential_sigmas", false), false, "not compared for the singlestep scheduler");
        c.Require("variance_type", c.Str("variance_type", "none"), "none", "a model that predicts its variance is not imported");
        var (times, _) = MultistepTimes(c, steps, finalZero, rampToSigmaMin: false, null);
        var plan = DpmSinglestepPlans.Diffusers(steps, order, finalZero);
        var ours = DpmSinglestepPlans.Ours(steps, order, finalZero);
        if (!plan.SequenceEqual(ours))
            throw c.Error("solver_order", $"{order} at {steps} steps is not reproduced: diffusers' order list gives outer steps [{string.Join(", ", plan)}], the DPM-Solver authors' allocation here [{string.Join(", ", ours)}] (docs/solvers.md, Parity with diffusers)");
        if (plan.Contains(3) && solverType == "midpoint")
            throw c.Error("solver_type", "\"midpoint\" with third-order steps is not reproduced: diffusers computes the second inner stage with the midpoint second-order update, the authors' DPM-Solver-3 here with the phi_2 form; use \"heun\"");
        Thresholding(c, guidance);
        return (times, new JObject { ["type"] = type, ["method"] = "singlestep", ["order"] = order, ["solverType"] = solverType, ["singlestepGrid"] = "given" });
    }

    static (JObject, JObject) UniPc(DiffusersConfig c, int steps, List<JObject> guidance, List<string> warnings)
    {
        int order = c.Int("solver_order", 2);
        if (order is < 1 or > 3) throw c.Error("solver_order", $"{order} is not 1, 2 or 3");
        bool finalZero = FinalZero(c);
        bool predictX0 = c.Bool("predict_x0", true);
        var variant = c.Str("solver_type", "bh2");
        if (variant is not ("bh1" or "bh2")) throw c.Error("solver_type", $"\"{variant}\" is not one of bh1, bh2");
        if (c.Token("disable_corrector") is { } disabled && !(disabled is JArray { Count: 0 }))
            throw c.Error("disable_corrector", "is not reproduced: the corrector is on or off for the whole run here");
        if (c.Token("solver_p") is not null) throw c.Error("solver_p", "is not reproduced: UniPC's predictor is its own here");
        var (times, _) = MultistepTimes(c, steps, finalZero, rampToSigmaMin: false, warnings);
        Thresholding(c, guidance);
        if (finalZero && (!predictX0 || variant == "bh1"))
            warnings.Add($"{c.Path}.final_sigmas_type: diffusers' last step into sigma = 0 is NaN with {(predictX0 ? "solver_type \"bh1\"" : "predict_x0 false")}; this run returns the data prediction there and stays finite");
        return (times, new JObject
        {
            ["type"] = "unipc", ["order"] = order, ["prediction"] = predictX0 ? "data" : "noise", ["variant"] = variant,
            ["corrector"] = true, ["lowerOrderFinal"] = c.Bool("lower_order_final", true),
        });
    }

    static (JObject, JObject) Deis(DiffusersConfig c, int steps, List<JObject> guidance)
    {
        int order = c.Int("solver_order", 2);
        if (order is < 1 or > 3) throw c.Error("solver_order", $"{order} is not 1, 2 or 3");
        c.Require("algorithm_type", c.Str("algorithm_type", "deis"), "deis", "DEISMultistepScheduler has only \"deis\"");
        c.Require("solver_type", c.Str("solver_type", "logrho"), "logrho", "DEISMultistepScheduler has only \"logrho\"");
        c.Require("use_karras_sigmas", c.Bool("use_karras_sigmas", false), false, "not compared for DEIS (its last ratio is repeated)");
        c.Require("use_exponential_sigmas", c.Bool("use_exponential_sigmas", false), false, "not compared for DEIS");
        // DEIS has no final_sigmas_type: its last step always ends at the first training step's noise ratio.
        var (times, _) = MultistepTimes(c, steps, finalZero: false, rampToSigmaMin: false, null);
        Thresholding(c, guidance);
        var solver = new JObject { ["type"] = "deis", ["order"] = order, ["variant"] = "logrho" };
        // lower_order_final (on) applies below 15 steps in diffusers: the plugin's null for 'logrho'.
        solver["lowerOrderFinal"] = c.Bool("lower_order_final", true) ? JValue.CreateNull() : false;
        return (times, solver);
    }

    /// <summary>
    /// EulerDiscrete, HeunDiscrete, LMSDiscrete, KDPM2Discrete: k-diffusion's samplers in sigma on diffusers' noise
    /// ratios (spaced timesteps, sigma interpolated linearly between training steps, then 0), as an explicit list of
    /// the discrete schedule's times with those ratios, or the Karras / exponential ramp between the spaced ratios.
    /// </summary>
    static (JObject, JObject) SigmaFamily(DiffusersConfig c, string cls, int steps, JObject schedule)
    {
        c.Require("interpolation_type", c.Str("interpolation_type", "linear"), "linear", "only the linear interpolation of sigma between training steps is reproduced");
        c.Require("use_beta_sigmas", c.Bool("use_beta_sigmas", false), false, "there is no beta-distribution time-step plugin");
        c.Require("clip_sample", c.Bool("clip_sample", false), false, "diffusers clips x_0 but keeps its own update; the 'clip' guidance recomputes eps");
        c.Ignore("clip_sample_range");
        bool karras = c.Bool("use_karras_sigmas", false), exponential = c.Bool("use_exponential_sigmas", false);
        if (karras && exponential) throw c.Error("use_exponential_sigmas", "only one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas may be true");
        bool finalZero = cls != "EulerDiscreteScheduler" || FinalZero(c);
        int n = (int)schedule["trainingSteps"]!;
        double[] betas = schedule["betas"] is JArray given
            ? given.Select(b => (double)b).ToArray()
            : DiffusersSigmas.Betas(c.Str("beta_schedule", "linear"), n, (double)schedule["betaStart"]!, (double)schedule["betaEnd"]!);
        var table = new DiffusersSigmas(betas);
        var spacing = c.Str("timestep_spacing", "linspace");
        int offset = c.Int("steps_offset", 0);
        double[] taus = spacing switch
        {
            "linspace" => Enumerable.Range(0, steps).Select(i => steps == 1 ? 0.0 : (n - 1) * (double)i / (steps - 1)).Reverse().ToArray(),
            "leading" => Enumerable.Range(0, steps).Select(i => (double)(i * (n / steps) + offset)).Reverse().ToArray(),
            "trailing" => Enumerable.Range(0, steps).Select(i => Math.Round(n - i * (n / (double)steps), MidpointRounding.ToEven) - 1).ToArray(),
            _ => throw c.Error("timestep_spacing", $"\"{spacing}\" is not a diffusers spacing (linspace, leading, trailing)"),
        };
        if (taus.Any(t => t < 0 || t > n - 1)) throw c.Error("steps_offset", $"moves timesteps outside 0 .. {n - 1}");
        var sigmas = taus.Select(table.SigmaAt).ToArray();
        var solver = cls switch
        {
            "EulerDiscreteScheduler" => new JObject { ["type"] = "euler", ["sChurn"] = 0.0 },
            "HeunDiscreteScheduler" => new JObject { ["type"] = "heun", ["sChurn"] = 0.0 },
            "LMSDiscreteScheduler" => new JObject { ["type"] = "lms", ["order"] = 4, ["finalDenoise"] = false },
            _ => new JObject { ["type"] = "dpm2", ["sChurn"] = 0.0 },
        };
        if (karras || exponential)
        {
            string key = karras ? "use_karras_sigmas" : "use_exponential_sigmas";
            if (!finalZero) throw c.Error("final_sigmas_type", "\"sigma_min\" with Karras or exponential sigmas repeats the smallest ratio, a step of length 0; not reproduced");
            // diffusers ramps between its spaced ratios (sigma_min / sigma_max override them where the class has them).
            var ramp = new JObject { ["type"] = karras ? "karras" : "exponential", ["steps"] = steps, ["toZero"] = true };
            double lo = c.Num("sigma_min", sigmas[^1]), hi = c.Num("sigma_max", sigmas[0]);
            if (spacing != "linspace" || c.Has("sigma_min") || c.Has("sigma_max")) { ramp["sigmaMin"] = lo; ramp["sigmaMax"] = hi; }
            c.Ignore("steps_offset");
            return (ramp, solver);
        }
        c.Ignore("sigma_min", "sigma_max");
        var times = new JObject { ["type"] = "explicit" };
        bool integral = taus.All(t => t == Math.Floor(t));
        if (!finalZero && taus[^1] == 0)
            throw c.Error("final_sigmas_type", "\"sigma_min\" after a last timestep of 0 repeats its ratio, a step of length 0; not reproduced");
        if (integral)
        {
            var indices = taus.Select(t => (long)t).ToList();
            if (!finalZero) indices.Add(0);
            times["indices"] = new JArray(indices);
        }
        else
        {
            // A training step sits at (k + 1) / N; a fractional timestep at the time with diffusers' interpolated ratio.
            var list = taus.Select((t, i) => t == Math.Floor(t) ? (t + 1) / n : table.TimeOf(sigmas[i])).ToList();
            if (!finalZero) list.Add(1.0 / n);
            times["times"] = new JArray(list);
        }
        times["appendZero"] = finalZero;
        times["steps"] = steps;
        return (times, solver);
    }
}
