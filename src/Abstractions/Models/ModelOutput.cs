using TorchSharp;

namespace Pipeline.Models;

/// <summary>
/// A model evaluation expressed both as noise and as data prediction; solvers use one or the other.
/// <see cref="Features"/> is a per-sample summary of the network's inner state at this evaluation, [B, F], when
/// the model offers one (<see cref="IFeatureModel"/>, e.g. the UNet's bottleneck averaged over positions), else null;
/// learned samplers (AMED) read it at no extra cost.
/// </summary>
public readonly record struct ModelOutput(torch.Tensor Epsilon, torch.Tensor Data)
{
    public torch.Tensor? Features { get; init; }
}
