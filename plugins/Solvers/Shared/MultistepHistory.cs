using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The last few model outputs of a multistep solver with the times they belong to, newest first. The history owns
/// them: a pushed tensor is detached from the step's dispose scope (no copy) and disposed when it falls out of the
/// history or the history is disposed.
/// </summary>
internal sealed class MultistepHistory : IDisposable
{
    readonly int capacity;
    readonly List<(TimePoint Time, Tensor Output)> entries;

    public MultistepHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.capacity = capacity;
        entries = new(capacity + 1);
    }

    public int Capacity => capacity;

    public int Count => entries.Count;

    /// <summary>The <paramref name="age"/>-th newest entry (0 = the latest).</summary>
    public (TimePoint Point, Tensor Output) this[int age] => entries[age];

    /// <summary>The time of entry <paramref name="k"/> (0 = newest).</summary>
    public TimePoint Time(int k) => entries[k].Time;

    /// <summary>The model output of entry <paramref name="k"/> (0 = newest). Read it, never dispose or write it.</summary>
    public Tensor Output(int k) => entries[k].Output;

    /// <summary>Takes ownership of <paramref name="output"/> as the newest entry; the oldest beyond the capacity is disposed.</summary>
    public void Push(TimePoint time, Tensor output)
    {
        output.DetachFromDisposeScope();
        entries.Insert(0, (time, output));
        if (entries.Count > capacity)
        {
            entries[^1].Output.Dispose();
            entries.RemoveAt(entries.Count - 1);
        }
    }

    /// <summary>A new tensor xWeight x + sum_k weights[k] Output(k), the update of a linear multistep method.</summary>
    public Tensor Combine(double xWeight, Tensor x, IReadOnlyList<double> weights)
    {
        if (weights.Count == 0 || weights.Count > entries.Count)
            throw new ArgumentException($"{weights.Count} weights for a history of {entries.Count}", nameof(weights));
        var sum = Linear.Combine(xWeight, x, weights[0], entries[0].Output);
        for (int k = 1; k < weights.Count; k++) sum.AddScaled_(weights[k], entries[k].Output);
        return sum;
    }

    public void Dispose()
    {
        foreach (var (_, output) in entries) output.Dispose();
        entries.Clear();
    }
}
