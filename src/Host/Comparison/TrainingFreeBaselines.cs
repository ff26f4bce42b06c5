using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;

namespace Pipeline.Host.Comparison;

/// <summary>
/// The baseline set of a comparison entry <c>{ "baseline": "training-free", "nfe": [...] }</c>: every training-free
/// deterministic solver configuration of the project with every standard time-step schedule, each run at exactly the
/// budget's NFE (a configuration that cannot spend exactly that many model evaluations is listed as skipped, with
/// the step counts it can reach). An optimized method's gain is then measured against the best of all of them rather
/// than against the baselines a comparison happened to list.
/// </summary>
public static class TrainingFreeBaselines
{
    public const string SetName = "training-free";

    /// <summary>
    /// The ODE solvers: the stochastic samplers (DDPM, Euler-Maruyama, SDE-DPM-Solver++, Langevin, predictor-corrector)
    /// target the distribution, not the probability-flow trajectory, and the learned ones (AMED, consistency, DDGAN)
    /// need a training artifact, so they are no training-free ODE baseline.
    /// </summary>
    public static readonly IReadOnlyList<(string Label, string Solver)> Solvers =
    [
        ("DDIM", """{ "type": "ddim" }"""),
        ("PF-ODE Euler", """{ "type": "pf-ode", "method": "euler" }"""),
        ("PF-ODE Heun", """{ "type": "pf-ode", "method": "heun" }"""),
        ("Euler (Karras)", """{ "type": "euler" }"""),
        ("Heun (Karras)", """{ "type": "heun" }"""),
        ("LMS-4", """{ "type": "lms", "order": 4 }"""),
        ("DPM-Solver-2 (singlestep)", """{ "type": "dpm-solver", "order": 2, "method": "singlestep-fixed" }"""),
        ("DPM-Solver-3 (singlestep)", """{ "type": "dpm-solver", "order": 3, "method": "singlestep-fixed" }"""),
        ("DPM-Solver-fast", """{ "type": "dpm-solver", "order": 3, "method": "singlestep" }"""),
        ("DPM-Solver++(2S)", """{ "type": "dpm-solver++", "order": 2, "method": "singlestep-fixed" }"""),
        ("DPM-Solver++(2M)", """{ "type": "dpm-solver++", "order": 2, "method": "multistep" }"""),
        ("DPM-Solver++(3M)", """{ "type": "dpm-solver++", "order": 3, "method": "multistep" }"""),
        ("UniPC-2 bh1", """{ "type": "unipc", "order": 2, "variant": "bh1" }"""),
        ("UniPC-2 bh2", """{ "type": "unipc", "order": 2, "variant": "bh2" }"""),
        ("UniPC-3 bh1", """{ "type": "unipc", "order": 3, "variant": "bh1" }"""),
        ("UniPC-3 bh2", """{ "type": "unipc", "order": 3, "variant": "bh2" }"""),
        ("DEIS-2 (tAB)", """{ "type": "deis", "order": 2 }"""),
        ("DEIS-3 (tAB)", """{ "type": "deis", "order": 3 }"""),
        ("DEIS-3 (log rho)", """{ "type": "deis", "order": 3, "variant": "logrho" }"""),
        ("iPNDM", """{ "type": "ipndm" }"""),
        ("PLMS", """{ "type": "plms" }"""),
        ("PNDM", """{ "type": "pndm" }"""),
    ];

    /// <summary>Every time-step plugin that turns a step count into times (all of plugins/Schedules/TimeSteps but 'explicit').</summary>
    public static readonly IReadOnlyList<(string Label, string TimeSteps)> Schedules =
    [
        ("logSNR", "logsnr-uniform"),
        ("time-uniform", "time-uniform"),
        ("time-quadratic", "time-quadratic"),
        ("Karras", "karras"),
        ("exponential", "exponential"),
        ("linspace", "linspace"),
        ("leading", "leading"),
        ("trailing", "trailing"),
    ];

    /// <summary>True when a "solvers" item names a baseline set rather than one configuration.</summary>
    public static bool IsSet(JObject item) => item["baseline"] is not null;

    /// <summary>An entry's own NFE budgets ("nfe"), which replace the comparison's for it; null when it has none.</summary>
    public static int[]? Budgets(JObject item)
    {
        if (item["nfe"] is not { } nfe) return null;
        if (nfe is not JArray list || list.Count == 0 || list.Any(t => t.Type != JTokenType.Integer || (long)t < 1 || (long)t > 100_000))
            throw DefinitionError.At(nfe, "\"nfe\" of a comparison entry lists positive budgets, e.g. [3, 4, 5, 6]; leave it out to use the comparison's");
        return list.Select(t => (int)t).ToArray();
    }

    /// <summary>The entries of a baseline item: every solver of <see cref="Solvers"/> with every schedule of <see cref="Schedules"/>.</summary>
    public static List<ComparisonEntry> Expand(JObject item)
    {
        foreach (var p in item.Properties())
            if (p.Name is not ("baseline" or "nfe"))
                throw DefinitionError.At(p, $"unknown key '{p.Name}' in a baseline entry (keys: baseline, nfe)");
        if (item["baseline"] is not JValue { Type: JTokenType.String } name || (string?)name != SetName)
            throw DefinitionError.At(item["baseline"], $"\"baseline\" names a baseline set: \"{SetName}\" (every training-free ODE solver with every standard time-step schedule)");
        var budgets = Budgets(item);
        var entries = new List<ComparisonEntry>();
        foreach (var (solverLabel, solver) in Solvers)
            foreach (var (scheduleLabel, timeSteps) in Schedules)
                entries.Add(new ComparisonEntry($"{solverLabel}, {scheduleLabel}", JObject.Parse(solver),
                    new JObject { ["type"] = timeSteps }, item, Budgets: budgets, Baseline: true));
        return entries;
    }
}
