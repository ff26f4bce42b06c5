using Pipeline.Tests.TestSupport;
using static TorchSharp.torch;

namespace Pipeline.Tests.Classic;

/// <summary>
/// How far a set of samples is from a mixture, in standard errors of the sample size: per-dimension mean and variance,
/// component frequencies (each sample assigned to its most likely component at t = 0), and per-component means and
/// pooled variances. Used with well-separated components, so the assignment is unambiguous.
/// </summary>
public static class MixtureAgreement
{
    /// <summary>
    /// Every statistic as (name, measured, expected, standard error), over the first <paramref name="checkedDims"/>
    /// dimensions (all by default); components are assigned with all of them.
    /// </summary>
    public static List<(string Name, double Measured, double Expected, double StandardError)> Statistics(Tensor x, GaussianMixture mixture,
        int? checkedDims = null)
    {
        var stats = new List<(string, double, double, double)>();
        using var x64 = x.to_type(float64).contiguous();
        int n = (int)x64.shape[0], stride = mixture.Dimension, dims = checkedDims ?? stride;
        var values = x64.data<double>().ToArray();
        for (int d = 0; d < dims; d++)
        {
            var column = Enumerable.Range(0, n).Select(i => values[i * stride + d]).ToArray();
            double mean = column.Average(), variance = column.Sum(v => (v - mean) * (v - mean)) / (n - 1);
            double trueVar = mixture.Variance(d);
            stats.Add(($"mean[{d}]", mean, mixture.Mean(d), Math.Sqrt(trueVar / n)));
            stats.Add(($"variance[{d}]", variance, trueVar, Math.Sqrt((mixture.FourthCentralMoment(d) - trueVar * trueVar) / n)));
        }

        using var r = mixture.Responsibilities(x64, 1, 0);
        using var assigned = r.argmax(1);
        var labels = assigned.data<long>().ToArray();
        for (int k = 0; k < mixture.Components; k++)
        {
            var members = Enumerable.Range(0, n).Where(i => labels[i] == k).ToArray();
            double w = mixture.Weights[k];
            stats.Add(($"frequency[{k}]", (double)members.Length / n, w, Math.Sqrt(w * (1 - w) / n)));
            int nk = members.Length;
            if (nk < 2) continue;
            double s2 = mixture.Stds[k] * mixture.Stds[k], pooled = 0;
            for (int d = 0; d < dims; d++)
            {
                double mean = members.Average(i => values[i * stride + d]);
                stats.Add(($"component {k} mean[{d}]", mean, mixture.Means[k][d], Math.Sqrt(s2 / nk)));
                pooled += members.Sum(i => Math.Pow(values[i * stride + d] - mean, 2)) / (nk - 1) / dims;
            }
            stats.Add(($"component {k} variance", pooled, s2, s2 * Math.Sqrt(2.0 / (dims * nk))));
        }
        return stats;
    }

    /// <summary>Fails naming every statistic more than <paramref name="z"/> standard errors off.</summary>
    public static void AssertAgrees(Tensor x, GaussianMixture mixture, double z, Action<string>? log = null, int? checkedDims = null)
    {
        var stats = Statistics(x, mixture, checkedDims);
        foreach (var (name, m, e, se) in stats) log?.Invoke($"{name}: {m:F4} vs {e:F4} ({(m - e) / se:+0.00;-0.00} SE)");
        var bad = stats.Where(s => !(Math.Abs(s.Measured - s.Expected) <= z * s.StandardError)).ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad.Select(s => $"{s.Name} {s.Measured:F4} vs {s.Expected:F4} (tolerance {z * s.StandardError:F4})")));
    }
}
