using TorchSharp;

namespace Pipeline.Models;

/// <summary>
/// Implemented by a model (<see cref="IDiffusionModel"/>) that can hand out, with its prediction, a per-sample summary of
/// its inner state: for a UNet the bottleneck activations averaged over positions (AMED's predictor input, Zhou et al.
/// 2024). The host passes it on in <see cref="ModelOutput.Features"/>.
/// </summary>
public interface IFeatureModel
{
    /// <summary>Width F of <see cref="ForwardWithFeatures"/>'s features.</summary>
    int FeatureCount { get; }

    /// <summary>The same output as <see cref="IDiffusionModel.Forward"/>, and features [B, F] (detached).</summary>
    (torch.Tensor Output, torch.Tensor Features) ForwardWithFeatures(torch.Tensor x, ModelTime time, torch.Tensor? labels);
}
