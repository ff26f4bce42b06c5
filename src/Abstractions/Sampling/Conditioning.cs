using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>
/// Per-sample conditions of a batch: class labels (int64 [B]) or none, and for models that take one (a DDGAN
/// generator, <see cref="Models.ILatentModel"/>) the latent code z [B, Z] of this evaluation.
/// </summary>
public sealed record Conditioning(torch.Tensor? Labels)
{
    /// <summary>The label value meaning "unconditional" (the null label of classifier-free guidance).</summary>
    public const long NullLabel = -1;

    public static Conditioning None { get; } = new((torch.Tensor?)null);

    /// <summary>The latent code of this evaluation, [B, Z], or null for models without one.</summary>
    public torch.Tensor? Latent { get; init; }

    /// <summary>
    /// These conditions with other labels for a batch of <paramref name="labels"/>' size. A batch that repeats the
    /// samples k times (classifier-free guidance's [x; x]) repeats the latent k times, so both branches see the same z.
    /// </summary>
    public Conditioning WithLabels(torch.Tensor labels)
    {
        if (Latent is not { } z || z.shape[0] == labels.shape[0]) return this with { Labels = labels };
        long batch = z.shape[0];
        if (batch == 0 || labels.shape[0] % batch != 0)
            throw new ArgumentException($"labels for {labels.shape[0]} samples do not repeat a latent of {batch}", nameof(labels));
        long times = labels.shape[0] / batch;
        var tiled = torch.cat(Enumerable.Repeat(z, (int)times).ToArray(), 0);
        return this with { Labels = labels, Latent = tiled };
    }

    /// <summary>The rows <paramref name="index"/> (int64) of the labels and the latent.</summary>
    public Conditioning Rows(torch.Tensor index) => this with
    {
        Labels = Labels?.index_select(0, index.to(Labels.device)),
        Latent = Latent?.index_select(0, index.to(Latent.device)),
    };
}
