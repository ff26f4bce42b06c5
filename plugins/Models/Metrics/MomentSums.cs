using Pipeline.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Metrics;

/// <summary>
/// The sufficient statistics of a sample mean and covariance, n, sum x and sum x x^T in float64, kept as
/// "&lt;prefix&gt;-count", "&lt;prefix&gt;-sum" and "&lt;prefix&gt;-outer-sum" entries of <see cref="MetricStatistics"/>, and the
/// moments they give: mean = s / n, unbiased covariance = (O - s s^T / n) / (n - 1), the same estimates as the
/// centred formulas up to float64 rounding.
/// </summary>
public static class MomentSums
{
    /// <summary>Adds the sums of the rows of <paramref name="rows"/> [N, D] to <paramref name="statistics"/>.</summary>
    public static MetricStatistics Add(MetricStatistics statistics, string prefix, Tensor rows)
    {
        using var scope = NewDisposeScope();
        var x = rows.to_type(ScalarType.Float64).cpu();
        statistics.Set(prefix + "-count", [x.shape[0]]);
        statistics.Set(prefix + "-sum", x.sum([0]).data<double>().ToArray());
        statistics.Set(prefix + "-outer-sum", x.t().matmul(x).contiguous().data<double>().ToArray());
        return statistics;
    }

    /// <summary>Mean [D] and unbiased covariance [D, D] from the sums under <paramref name="prefix"/>.</summary>
    public static (Tensor Mean, Tensor Covariance) Moments(MetricStatistics statistics, string prefix)
    {
        using var scope = NewDisposeScope();
        double n = statistics[prefix + "-count"][0];
        var sum = tensor(statistics[prefix + "-sum"], float64);
        long d = sum.shape[0];
        var outer = tensor(statistics[prefix + "-outer-sum"], float64).reshape(d, d);
        using Scalar count = n, degrees = Math.Max(1.0, n - 1);
        var mean = sum.div(count);
        var covariance = outer.sub(sum.outer(sum).div_(count)).div_(degrees);
        return (scope.MoveToOuter(mean), scope.MoveToOuter(covariance));
    }
}
