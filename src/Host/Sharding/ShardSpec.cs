using System.Globalization;
using Pipeline.Host.Running;
using Pipeline.Options;

namespace Pipeline.Host.Sharding;

/// <summary>
/// Shard K of N (K from 0) of a run. Shards split the run's batches, not its samples, as evenly as possible: shard K runs
/// batches [floor(K B / N), floor((K + 1) B / N)) of the B = ceil(count / batchSize) batches of the whole run, so every
/// batch a shard runs is one the single run runs, with the same samples beside it (networks on the CPU give results
/// that depend on the batch's size in the last bits; aligned shards reproduce them bit for bit).
/// </summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>Suffix of a shard's folder: runs/&lt;name&gt;.shard-K-of-N.</summary>
    public string FolderSuffix => $".shard-{Index}-of-{Count}";

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Parses "K/N" (0 &lt;= K &lt; N); anything else is an input error at --shard.</summary>
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && k < n)
            return new ShardSpec(k, n);
        throw new PipelineInputException($"--shard takes K/N with 0 <= K < N (shard K of N, counted from 0, e.g. --shard 0/4), not '{text}'", "--shard");
    }

    /// <summary>The samples of this shard in a run of <paramref name="samples"/> samples in batches of <paramref name="batchSize"/>.</summary>
    public SampleRange RangeIn(int samples, int batchSize)
    {
        int batches = (samples + batchSize - 1) / batchSize;
        if (Count > batches)
            throw new PipelineInputException(
                $"--shard {this}: the run has {batches} batch{(batches == 1 ? "" : "es")} of up to {batchSize} samples and a shard runs whole batches; " +
                $"use at most {batches} shards, or a smaller sampling.batchSize", "--shard");
        int firstBatch = (int)((long)Index * batches / Count), endBatch = (int)((long)(Index + 1) * batches / Count);
        int start = firstBatch * batchSize, end = Math.Min(samples, endBatch * batchSize);
        return new SampleRange(start, end - start);
    }
}
