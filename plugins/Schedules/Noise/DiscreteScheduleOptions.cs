using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

public sealed class DiscreteScheduleOptions : IValidatableObject
{
    [Description("Training steps N; null = 1000, or the length of 'betas' when given"), Range(1, 1_000_000)]
    public int? TrainingSteps { get; set; }

    [Description("Beta sequence: linear, scaled-linear (Stable Diffusion), squaredcos-cap-v2 (cosine) or vp-continuous (the VP SDE at N + 1 uniform times, for few-step chains such as DDGAN); ignored when 'betas' is given")]
    public BetaSchedule BetaSchedule { get; set; } = BetaSchedule.Linear;

    [Description("First beta; null = 1e-4 (linear) or 0.00085 (scaled-linear)"), Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double? BetaStart { get; set; }

    [Description("Last beta; null = 0.02 (linear) or 0.012 (scaled-linear)"), Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double? BetaEnd { get; set; }

    [Description("Cap on each beta of squaredcos-cap-v2"), Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double MaxBeta { get; set; } = 0.999;

    [Description("Explicit betas beta_0 .. beta_{N-1} (each in (0, 1)); overrides betaSchedule")]
    public double[]? Betas { get; set; }

    [Description("Time the model is evaluated at: 'exact' (the solver's time) or 'nearest-step' (the nearest training step, diffusers' rounded timesteps of its Karras and exponential sigmas; the update still uses the exact time)")]
    public ModelTimeRule ModelTime { get; set; } = ModelTimeRule.Exact;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Betas is { } betas)
        {
            if (betas.Length == 0)
                yield return OptionsValidation.Error(nameof(Betas), "is empty; give N betas or leave it out");
            for (int i = 0; i < betas.Length; i++)
                if (!(betas[i] > 0 && betas[i] < 1))
                {
                    yield return OptionsValidation.Error(nameof(Betas), $"[{i}] = {betas[i]} is outside (0, 1); every beta must be in (0, 1)");
                    break;
                }
            if (TrainingSteps is int n && n != betas.Length)
                yield return OptionsValidation.Error(nameof(TrainingSteps),
                    $"is {n} but 'betas' has {betas.Length} entries; leave trainingSteps out or make them agree");
        }
    }

    internal double ResolvedBetaStart => BetaStart ?? (BetaSchedule == BetaSchedule.ScaledLinear ? 0.00085 : 1e-4);

    internal double ResolvedBetaEnd => BetaEnd ?? (BetaSchedule == BetaSchedule.ScaledLinear ? 0.012 : 0.02);

    /// <summary>The betas these options describe.</summary>
    public double[] ResolveBetas()
    {
        if (Betas is { } betas) return (double[])betas.Clone();
        int n = TrainingSteps ?? 1000;
        return BetaSchedule switch
        {
            BetaSchedule.Linear => BetaTables.Linear(n, ResolvedBetaStart, ResolvedBetaEnd),
            BetaSchedule.ScaledLinear => BetaTables.ScaledLinear(n, ResolvedBetaStart, ResolvedBetaEnd),
            BetaSchedule.SquaredcosCapV2 => BetaTables.SquaredCosine(n, MaxBeta),
            BetaSchedule.VpContinuous => BetaTables.VpContinuous(n),
            _ => throw new ArgumentOutOfRangeException(nameof(BetaSchedule)),
        };
    }
}
