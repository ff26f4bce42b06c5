using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>
/// Labels with each replaced by the null label with probability p, which trains the unconditional model of
/// classifier-free guidance alongside the conditional one (Ho and Salimans 2022, Algorithm 1). Draws from torch's
/// global generator, which every trainer seeds per step.
/// </summary>
public static class LabelDropout
{
    public static Tensor Apply(Tensor labels, double p)
    {
        if (p <= 0) return labels;
        using Scalar dropout = p, nullLabel = Conditioning.NullLabel;
        return labels.masked_fill(rand(labels.shape[0], device: labels.device).lt(dropout), nullLabel);
    }
}
