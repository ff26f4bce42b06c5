namespace Pipeline.Metrics;

/// <summary>
/// A metric whose scores are functions of sums over the samples (counts, feature sums, outer-product sums), so that
/// shards of one run can each reduce their own samples and the sums, added, score the whole run without any process
/// holding every sample: the Frechet distance needs only n, sum f and sum f f^T (mean = sum f / n, covariance =
/// (sum f f^T - (sum f)(sum f)^T / n) / (n - 1)).
/// </summary>
public interface IMergeableMetric : IMetric
{
    /// <summary>The sums of the samples in <paramref name="context"/>, in float64.</summary>
    MetricStatistics Accumulate(MetricContext context);

    /// <summary>
    /// Scores from the sums of every shard added together, for the run <paramref name="plan"/> describes. The names are
    /// those <see cref="IMetric.Score"/> gives, less any that sums cannot give (sorted-sample distances, for example).
    /// </summary>
    IReadOnlyDictionary<string, double> Score(MetricStatistics statistics, MetricPlan plan);
}
