namespace Pipeline.Host.Running;

/// <summary>Samples [Start, Start + Count) of a run, by index.</summary>
public readonly record struct SampleRange(int Start, int Count)
{
    public int End => Start + Count;

    public override string ToString() => $"[{Start}, {End})";
}
