using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Comparison;

/// <summary>
/// A comparison: one pipeline, several solver configurations, several NFE budgets. Each run replaces the
/// pipeline's solver (and, when given, its time-step schedule) and picks the largest step count whose
/// model evaluations fit the budget.
/// </summary>
public sealed class ComparisonSettings : IValidatableObject
{
    [Description("NFE budgets to run each configuration at"), Required]
    public int[] Nfe { get; set; } = [];

    [Description("Output folder (relative to this file's folder; default runs/<name>-compare in the current folder)")]
    public string? Directory { get; set; }

    [Description("Replace an existing output folder")]
    public bool Overwrite { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Nfe.Length == 0 || Nfe.Any(n => n < 1))
            yield return new("'nfe' must list positive budgets, e.g. [5, 10, 20, 50]", [nameof(Nfe)]);
    }
}

/// <summary>
/// One solver configuration of a comparison; <paramref name="Guidance"/> and <paramref name="Optimizers"/>, when
/// given, replace the pipeline's lists. <paramref name="Budgets"/>, when given, replaces the comparison's NFE list for
/// this entry. A <paramref name="Baseline"/> entry (from a baseline set) runs only at step counts that spend exactly
/// the budget, so that every baseline is compared at the NFE it claims.
/// </summary>
public sealed record ComparisonEntry(string Label, JObject Solver, JObject? TimeSteps, JToken Source,
    JArray? Guidance = null, JArray? Optimizers = null, int[]? Budgets = null, bool Baseline = false);
