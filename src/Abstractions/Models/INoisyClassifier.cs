using TorchSharp;

namespace Pipeline.Models;

/// <summary>
/// A classifier of noisy samples, log p(y | x_t) at time t, as classifier guidance differentiates it
/// (Dhariwal and Nichol 2021). Model plugins offer classifiers through <see cref="INoisyClassifierSource"/>.
/// </summary>
public interface INoisyClassifier
{
    /// <summary>Number of classes K; labels 0..K-1 index the columns of <see cref="LogProbabilities"/>.</summary>
    int Classes { get; }

    /// <summary>How the classifier reads time: the host fills <see cref="ModelTime.Input"/> in this convention.</summary>
    TimeInput TimeInput { get; }

    /// <summary>
    /// log p(y = k | x_t) for every class, [B, K] in any floating type. Must be differentiable with respect to
    /// <paramref name="x"/> (plain TorchSharp operations; no detach, no reading values back), since guidance
    /// takes its gradient with autograd. Called with gradients enabled and x requiring them.
    /// </summary>
    torch.Tensor LogProbabilities(torch.Tensor x, ModelTime time);
}
