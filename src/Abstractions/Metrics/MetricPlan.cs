namespace Pipeline.Metrics;

/// <summary>What a metric knows of a run before it is sampled, to refuse it early.</summary>
/// <param name="Model">The (guided) model the run will use.</param>
/// <param name="SampleShape">Shape of one sample, without the batch dimension.</param>
/// <param name="Times">The times the solver will visit, first to last.</param>
public sealed record MetricPlan(
    Sampling.IConditionalDenoiser Model,
    IReadOnlyList<long> SampleShape,
    IReadOnlyList<double> Times);
