using TorchSharp;

namespace Pipeline.Models;

/// <summary>A network (or an analytic model) evaluated at (x_t, t, labels).</summary>
public interface IDiffusionModel
{
    PredictionType Prediction { get; }

    TimeInput TimeInput { get; }

    /// <summary>Shape of one sample, or null when the model accepts any shape.</summary>
    long[]? SampleShape { get; }

    /// <summary>Number of class labels for conditional models; null for unconditional ones.</summary>
    int? Classes { get; }

    /// <summary>
    /// Raw prediction for a batch x of shape [B, ...SampleShape]. <paramref name="labels"/> is an int64
    /// tensor [B] (with <see cref="Sampling.Conditioning.NullLabel"/> for "no label") or null.
    /// </summary>
    torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels);
}
