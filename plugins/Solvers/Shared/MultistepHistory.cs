using TorchSharp;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The last few model outputs of a multistep solver with their times, newest first. It owns the tensors it holds:
/// they are detached from every dispose scope when pushed and disposed when they fall out of the history (or with
/// it), so a run keeps exactly <see cref="Capacity"/> outputs alive and copies none of them.
/// </summary>
internal sealed class MultistepHistory(int capacity) : IDisposable
{
    readonly List<(TimePoint Point, torch.Tensor Output)> entries = new(capacity);

    public int Capacity { get; } = capacity;

    public int Count => entries.Count;

    /// <summary>The <paramref name="age"/>-th newest entry (0 = the latest).</summary>
    public (TimePoint Point, torch.Tensor Output) this[int age] => entries[entries.Count - 1 - age];

    /// <summary>Adds the newest output; the oldest is disposed when the history is full.</summary>
    public void Push(TimePoint point, torch.Tensor output)
    {
        output.DetachFromDisposeScope();
        if (entries.Count == Capacity)
        {
            entries[0].Output.Dispose();
            entries.RemoveAt(0);
        }
        entries.Add((point, output));
    }

    public void Dispose()
    {
        foreach (var (_, output) in entries) output.Dispose();
        entries.Clear();
    }
}
