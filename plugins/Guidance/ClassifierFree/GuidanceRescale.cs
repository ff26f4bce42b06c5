using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Plugins.Guidance.ClassifierFree;

/// <summary>
/// Guidance rescale (Lin et al. 2024, "Common diffusion noise schedules and sample steps are flawed", sec. 3.4):
/// x_rescaled = x_cfg std(x_pos) / std(x_cfg) (eq. 15), x_final = phi x_rescaled + (1 - phi) x_cfg (eq. 16),
/// with the standard deviations taken per sample over all its values.
/// </summary>
internal static class GuidanceRescale
{
    /// <summary>x_final as a new tensor; <paramref name="guided"/> is x_cfg, <paramref name="positive"/> the conditional prediction.</summary>
    public static Tensor Apply(Tensor guided, Tensor positive, double phi)
    {
        long[] values = Enumerable.Range(1, (int)guided.dim() - 1).Select(d => (long)d).ToArray();
        // Bessel's correction cancels in the ratio; the population form keeps one-value samples at 0 / 0, handled below.
        var stdPositive = positive.std(values, unbiased: false, keepdim: true);
        var stdGuided = guided.std(values, unbiased: false, keepdim: true);
        // A sample whose guided prediction is constant has no spread to match: leave it (ratio 1).
        using Scalar zero = 0.0, one = 1.0, weight = phi, keep = 1 - phi;
        var ratio = where(stdGuided.gt(zero), stdPositive.div(stdGuided), ones_like(stdGuided));
        // phi ratio + (1 - phi): eq. (16) applied as one per-sample factor.
        var factor = ratio.mul_(weight).Plus_(keep);
        return guided.mul(factor);
    }
}
