using Pipeline.Guidance;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;
using TorchSharp;

namespace Pipeline.Plugins.Guidance.Thresholding;

[Plugin(PluginKinds.Guidance, StaticClipping.Name, Aliases = "static-threshold, clip-x0, clip-sample",
    Summary = "Static thresholding: clamp x_0 to [-value, value] and recompute eps (Ho et al. 2020's clipped x_0)")]
public sealed class StaticClippingExport : PluginExport<StaticClipping, StaticClippingOptions>;

/// <summary>Static thresholding (Saharia et al. 2022, sec. 2.3): x_0 -> clamp(x_0, -a, a).</summary>
public sealed class StaticClipping(StaticClippingOptions options) : IGuidance
{
    public const string Name = "clip";

    public IConditionalDenoiser Wrap(IConditionalDenoiser inner) => new ThresholdedDenoiser(inner, Name, Bound);

    internal torch.Tensor Bound(torch.Tensor data) => data.ClampSymmetric(options.Value);
}
