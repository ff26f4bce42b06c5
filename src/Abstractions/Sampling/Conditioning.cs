using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>Per-sample conditions of a batch: class labels (int64 [B]) or none.</summary>
public sealed record Conditioning(torch.Tensor? Labels)
{
    /// <summary>The label value meaning "unconditional" (the null label of classifier-free guidance).</summary>
    public const long NullLabel = -1;

    public static Conditioning None { get; } = new((torch.Tensor?)null);
}
