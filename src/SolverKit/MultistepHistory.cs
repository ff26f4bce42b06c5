using static TorchSharp.torch;

namespace Pipeline.SolverKit;

/// <summary>
/// The last few model outputs of a multistep solver, newest first, each with the time it belongs to when the method's
/// weights depend on past times (DPM-Solver++(2M), UniPC, DEIS). The history owns what is pushed: the tensor is
/// detached from the step's dispose scope (nothing is copied) and disposed when it falls out of the history or when
/// the history is disposed.
/// </summary>
/// <remarks>
/// Create it with <c>using</c> around <see cref="StepLoop"/>.Run, push the step's model output inside the step, and
/// read entries without disposing or writing them. Methods with fixed weights (Adams-Bashforth in rho: PLMS, iPNDM,
/// LMS) may push without a time; <see cref="Time"/> then refuses those entries.
/// </remarks>
public sealed class MultistepHistory : IDisposable
{
    readonly List<(TimePoint? Time, Tensor Output)> entries;   // newest first

    /// <summary>A history that keeps the newest <paramref name="capacity"/> outputs.</summary>
    /// <param name="capacity">How many outputs to keep, at least 1 (the method's order for most multistep methods).</param>
    public MultistepHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        entries = new(capacity + 1);
    }

    /// <summary>The most entries held; pushing beyond it disposes the oldest.</summary>
    public int Capacity { get; }

    /// <summary>How many entries are held now (grows to <see cref="Capacity"/> over the first steps).</summary>
    public int Count => entries.Count;

    /// <summary>The model output pushed <paramref name="age"/> pushes ago (0 = the newest). Read it; never dispose or write it.</summary>
    /// <param name="age">0 for the newest entry, up to <see cref="Count"/> - 1.</param>
    public Tensor this[int age] => entries[age].Output;

    /// <summary>The time of the entry <paramref name="age"/> pushes ago (0 = the newest).</summary>
    /// <param name="age">0 for the newest entry, up to <see cref="Count"/> - 1.</param>
    /// <exception cref="InvalidOperationException">The entry was pushed without a time.</exception>
    public TimePoint Time(int age) =>
        entries[age].Time ?? throw new InvalidOperationException($"history entry {age} was pushed without a time");

    /// <summary>Takes ownership of <paramref name="output"/> as the newest entry, at <paramref name="time"/>; the oldest beyond the capacity is disposed.</summary>
    /// <param name="time">The time the output was evaluated at.</param>
    /// <param name="output">The model output; the history disposes it.</param>
    public void Push(TimePoint time, Tensor output) => Add(time, output);

    /// <summary>Takes ownership of <paramref name="output"/> as the newest entry, without a time (for methods whose weights do not depend on past times).</summary>
    /// <param name="output">The model output; the history disposes it.</param>
    public void Push(Tensor output) => Add(null, output);

    void Add(TimePoint? time, Tensor output)
    {
        output.DetachFromDisposeScope();
        entries.Insert(0, (time, output));
        if (entries.Count > Capacity)
        {
            entries[^1].Output.Dispose();
            entries.RemoveAt(entries.Count - 1);
        }
    }

    /// <summary>The newest <paramref name="count"/> outputs, newest first (the slopes of <see cref="NoiseRatioStep.Apply(Tensor, TimePoint, TimePoint, ReadOnlySpan{double}, IReadOnlyList{Tensor})"/>).</summary>
    /// <param name="count">At most <see cref="Count"/>.</param>
    public Tensor[] Newest(int count)
    {
        if (count > entries.Count) throw new ArgumentOutOfRangeException(nameof(count), $"{count} > {entries.Count} held");
        var result = new Tensor[count];
        for (int k = 0; k < count; k++) result[k] = entries[k].Output;
        return result;
    }

    /// <summary>A new tensor xWeight x + sum_k weights[k] this[k], the update of a linear multistep method.</summary>
    /// <param name="xWeight">The weight of <paramref name="x"/>.</param>
    /// <param name="x">The current state; only read.</param>
    /// <param name="weights">One weight per entry, newest first; at most <see cref="Count"/>.</param>
    public Tensor Combine(double xWeight, Tensor x, IReadOnlyList<double> weights)
    {
        if (weights.Count == 0 || weights.Count > entries.Count)
            throw new ArgumentException($"{weights.Count} weights for a history of {entries.Count}", nameof(weights));
        var sum = Linear.Combine(xWeight, x, weights[0], entries[0].Output);
        for (int k = 1; k < weights.Count; k++) sum.AddScaled_(weights[k], entries[k].Output);
        return sum;
    }

    /// <summary>Disposes every output held.</summary>
    public void Dispose()
    {
        foreach (var (_, output) in entries) output.Dispose();
        entries.Clear();
    }
}
