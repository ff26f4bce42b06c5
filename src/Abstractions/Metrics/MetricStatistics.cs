namespace Pipeline.Metrics;

/// <summary>
/// Named float64 sums over a set of samples (see <see cref="IMergeableMetric"/>). Every entry is a sum, so the
/// statistics of disjoint sets of samples merge by adding entry by entry, whatever the order of the sets.
/// </summary>
public sealed class MetricStatistics
{
    readonly SortedDictionary<string, double[]> sums = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, double[]> Sums => sums;

    /// <summary>The entry <paramref name="name"/>; a missing one is an error naming what the statistics hold.</summary>
    public double[] this[string name] => sums.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"the statistics have no '{name}' (they hold {string.Join(", ", sums.Keys)})");

    public MetricStatistics Set(string name, double[] values)
    {
        sums[name] = values;
        return this;
    }

    /// <summary>This plus <paramref name="other"/>, entry by entry; both must hold the same entries of the same lengths.</summary>
    public MetricStatistics Plus(MetricStatistics other)
    {
        if (!sums.Keys.SequenceEqual(other.sums.Keys))
            throw new ArgumentException($"statistics with entries [{string.Join(", ", sums.Keys)}] and [{string.Join(", ", other.sums.Keys)}] cannot be added");
        var result = new MetricStatistics();
        foreach (var (name, a) in sums)
        {
            var b = other.sums[name];
            if (a.Length != b.Length) throw new ArgumentException($"statistics entry '{name}' has {a.Length} values here and {b.Length} there");
            var c = new double[a.Length];
            for (int i = 0; i < c.Length; i++) c[i] = a[i] + b[i];
            result.sums[name] = c;
        }
        return result;
    }
}
