using Pipeline.Guidance;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Guidance.Thresholding;

[Plugin(PluginKinds.Guidance, DynamicThresholding.Name, Aliases = "dynamic-thresholding, imagen-threshold",
    Summary = "Dynamic thresholding of x_0 (Saharia et al. 2022): s = max(percentile of |x_0|, 1), x_0 -> clamp(x_0, -s, s) / s")]
public sealed class DynamicThresholdingExport : PluginExport<DynamicThresholding, DynamicThresholdingOptions>;

/// <summary>
/// Imagen's dynamic thresholding (Saharia et al. 2022, sec. 2.3): per sample, s is the p-th percentile of |x_0|
/// (linear interpolation between order statistics, as torch.quantile), raised to at least 1 and, when maxValue is
/// set, lowered to at most maxValue; x_0 is clamped to [-s, s] and divided by s. Samples whose percentile is at most
/// 1 get s = 1: clamping to [-1, 1], which leaves x_0 with |x_0| &lt;= 1 unchanged.
/// </summary>
public sealed class DynamicThresholding(DynamicThresholdingOptions options) : IGuidance
{
    public const string Name = "dynamic-threshold";

    public IConditionalDenoiser Wrap(IConditionalDenoiser inner) => new ThresholdedDenoiser(inner, Name, Bound);

    internal Tensor Bound(Tensor data)
    {
        using var scope = NewDisposeScope();
        long batch = data.shape[0];
        // quantile needs float32 or float64.
        var magnitude = data.abs().reshape(batch, -1);
        if (magnitude.dtype is not (ScalarType.Float32 or ScalarType.Float64)) magnitude = magnitude.to_type(ScalarType.Float32);
        using Scalar p = options.Percentile, one = 1.0;
        // A 0-dim q made by a fill on the device: no host-to-device copy inside the step loop.
        var q = full(Array.Empty<long>(), p, magnitude.dtype, magnitude.device);
        var s = magnitude.quantile(q, dim: 1).clamp_min(one);
        if (options.MaxValue is double max)
        {
            using Scalar upper = max;
            s = s.clamp_max(upper);
        }
        long[] perSample = [batch, .. Enumerable.Repeat(1L, (int)data.dim() - 1)];
        s = s.to_type(data.dtype).reshape(perSample);
        return scope.MoveToOuter(data.clamp(s.neg(), s).div_(s));
    }
}
