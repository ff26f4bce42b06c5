using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>Where random and mutated time points are drawn: uniform in half log-SNR lambda, or uniform in t.</summary>
public enum SearchSpace
{
    /// <summary>Points are coordinates along lambda from lambda(tStart) to lambda(tEnd) (or tMin when tEnd = 0).</summary>
    LogSnr,
    /// <summary>Points are coordinates along t from tStart to tEnd (or tMin when tEnd = 0).</summary>
    Time,
}

public sealed class AutoDiffusionOptions : IValidatableObject
{
    [Description("Model-evaluation budget per sample; the step count is the largest whose NFE with the pipeline's solver fits. Null = the pipeline's own NFE")]
    [Range(1, 1000)]
    public int? Nfe { get; set; }

    [Description("Candidates per generation (Li et al. 2023 use 50)"), Range(2, 10_000)]
    public int Population { get; set; } = 16;

    [Description("Parents: the best candidates found so far that breed the next generation"), Range(1, 10_000)]
    public int TopK { get; set; } = 5;

    [Description("Chance that a mutation moves each time point (Li et al. 2023 use 0.25)"), Range(0.0, 1.0)]
    public double MutationProbability { get; set; } = 0.25;

    [Description("Standard deviation of a local move of a time point, in mean gaps between points; a quarter of the moves redraw the point anywhere instead"), Range(0.0, 10.0)]
    public double MutationScale { get; set; } = 0.5;

    [Description("Share of each generation made by crossover; the rest by mutation"), Range(0.0, 1.0)]
    public double CrossoverShare { get; set; } = 0.5;

    [Description("Generations after the initial population"), Range(0, 100_000)]
    public int Iterations { get; set; } = 10;

    [Description("Stop after this many distinct candidates have been scored (the standard schedules count); null = no limit"), Range(1, 1_000_000)]
    public int? MaxCandidates { get; set; }

    [Description("Stop starting new candidates after this many seconds of search (summed over resumed runs); null = no limit. A time limit makes the result depend on the machine")]
    [Range(0.001, 1e9)]
    public double? MaxSeconds { get; set; }

    [Description("Seeds the random choices; the same seed, options and pipeline give the same search")]
    public long Seed { get; set; }

    [Description("'log-snr' (points uniform in half log-SNR) or 'time' (uniform in t) for random draws and mutation moves")]
    public SearchSpace Space { get; set; } = SearchSpace.LogSnr;

    [Description("Solvers searched jointly, each a definition { \"type\", ...options } as a pipeline's \"solver\" (e.g. { \"type\": \"dpm-solver++\", \"order\": 2 }); " +
        "each gets a search with these options at its own step count for 'nfe', and the best (solver, times) pair is written. Null = the pipeline's solver")]
    public List<JsonObject>? Solvers { get; set; }

    [Description("Also search the network structure (Li et al. 2023, sec. 3.2): per step, which of the model's skippable blocks run; the model must offer them (mnist-unet does)")]
    public bool Structure { get; set; }

    [Description("With 'structure': the cost budget per sample in full model evaluations (skipped blocks count their share off); null = 'nfe'")]
    [Range(0.01, 1000.0)]
    public double? Budget { get; set; }

    [Description("With 'structure': step counts searched beyond the largest whose full evaluations fit the budget (candidates with more steps must skip blocks)")]
    [Range(0, 100)]
    public int ExtraSteps { get; set; } = 2;

    [Description("With 'structure': chance that a random candidate skips each block at each step"), Range(0.0, 1.0)]
    public double SkipProbability { get; set; } = 0.15;

    [Description("With 'structure': chance that a mask mutation flips each (step, block) entry; at least one always flips"), Range(0.0, 1.0)]
    public double MaskMutationProbability { get; set; } = 0.05;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Solvers is { Count: 0 })
            yield return new ValidationResult("'solvers' lists no solver; give at least one definition { \"type\": ... } or leave it out to search the pipeline's", [nameof(Solvers)]);
        if (Budget is not null && !Structure)
            yield return new ValidationResult("'budget' is the cost budget of the structure search; set \"structure\": true or leave 'budget' out (then 'nfe' is the budget)", [nameof(Budget)]);
        if (TopK > Population)
            yield return new ValidationResult(
                $"'topK' ({TopK}) must not exceed 'population' ({Population}): parents are chosen among the candidates",
                [nameof(TopK)]);
    }
}
