using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The last few model outputs of a multistep solver, newest first. A pushed tensor is taken out of every dispose
/// scope (so it outlives the step that made it) and owned here: disposed when it falls out of the history or when the
/// history is disposed. Nothing is copied.
/// </summary>
internal sealed class TensorHistory(int capacity) : IDisposable
{
    readonly List<Tensor> items = new(capacity + 1);   // oldest first

    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    public int Count => items.Count;

    /// <summary>The entry pushed <paramref name="age"/> pushes ago (0 = the newest).</summary>
    public Tensor this[int age] => items[items.Count - 1 - age];

    /// <summary>Takes ownership of <paramref name="tensor"/>; the oldest entry beyond the capacity is disposed.</summary>
    public void Push(Tensor tensor)
    {
        tensor.DetachFromDisposeScope();
        items.Add(tensor);
        if (items.Count > Capacity)
        {
            items[0].Dispose();
            items.RemoveAt(0);
        }
    }

    /// <summary>The newest <paramref name="count"/> entries, newest first.</summary>
    public Tensor[] Newest(int count)
    {
        if (count > items.Count) throw new ArgumentOutOfRangeException(nameof(count), $"{count} > {items.Count} held");
        var result = new Tensor[count];
        for (int j = 0; j < count; j++) result[j] = this[j];
        return result;
    }

    public void Dispose()
    {
        foreach (var t in items) t.Dispose();
        items.Clear();
    }
}
