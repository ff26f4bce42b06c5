using TorchSharp;

namespace Pipeline.Metrics;

/// <summary>Scores a set of samples. Lower is better unless the score's name says otherwise.</summary>
public interface IMetric
{
    /// <summary>Named scores of the samples in <paramref name="context"/>; the first is the headline figure.</summary>
    IReadOnlyDictionary<string, double> Score(MetricContext context);

    /// <summary>
    /// Why this metric cannot score the run <paramref name="plan"/> describes, checked at composition so that a refusal
    /// comes before sampling (and from 'validate'). Empty when it can.
    /// </summary>
    IEnumerable<string> Check(MetricPlan plan) => [];
}

/// <summary>What a metric sees of a finished run.</summary>
/// <param name="Samples">Final samples [N, ...] on the CPU.</param>
/// <param name="Initial">The x_T they started from [N, ...] on the CPU.</param>
/// <param name="Model">The (guided) model the run used; metrics that need the analytic model look inside.</param>
/// <param name="Times">The times the solver visited, first to last.</param>
/// <param name="Labels">Per-sample labels, or null.</param>
public sealed record MetricContext(
    torch.Tensor Samples,
    torch.Tensor Initial,
    Sampling.IConditionalDenoiser Model,
    IReadOnlyList<double> Times,
    torch.Tensor? Labels)
{
    /// <summary>Cancels the scoring (Ctrl-C); a metric with a long loop checks it between batches.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Identifies the run's start (x_T, by a checksum), first and last time, for metrics that compute a reference
    /// solution from x_T once and reuse it while comparing many solvers on the same noise.
    /// </summary>
    public (double Start, double End, double Checksum, long Count) ReferenceKey()
    {
        using var initial64 = Initial.to(torch.ScalarType.Float64);
        double checksum = initial64.sum().item<double>() + initial64.abs().sum().item<double>();
        return (Times[0], Times[^1], checksum, Initial.shape[0]);
    }
}
