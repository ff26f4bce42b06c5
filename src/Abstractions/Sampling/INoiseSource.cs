using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>
/// Standard normal noise for stochastic solvers. Each sample of the batch draws from its own stream,
/// seeded by its own seed, so a sample's noise never depends on the batch it runs in.
/// </summary>
public interface INoiseSource
{
    /// <summary>A fresh standard normal tensor shaped, typed and placed like <paramref name="like"/> ([B, ...]).</summary>
    torch.Tensor NormalLike(torch.Tensor like);
}
