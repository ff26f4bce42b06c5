using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Guidance.Shared;

/// <summary>
/// Guidance arithmetic with host-side double coefficients. Each coefficient becomes a native Scalar that is
/// disposed at once rather than left to the finalizer (TorchSharp memory notes).
/// </summary>
internal static class Fused
{
    /// <summary>A new tensor x + a y.</summary>
    public static Tensor AddScaled(this Tensor x, double a, Tensor y)
    {
        using Scalar sa = a;
        return x.add(y, sa);
    }

    /// <summary>A new tensor a + w (b - a) = (1 - w) a + w b; w may exceed 1 (extrapolation). Two kernels, one allocation.</summary>
    public static Tensor Lerp(this Tensor a, Tensor b, double w)
    {
        using Scalar keep = 1 - w, sw = w;
        return a.mul(keep).add_(b, sw);
    }

    /// <summary>x clamped to [-a, a], a new tensor.</summary>
    public static Tensor ClampSymmetric(this Tensor x, double a)
    {
        using Scalar lo = -a, hi = a;
        return x.clamp(lo, hi);
    }

    /// <summary>A tensor like <paramref name="labels"/> holding the null label everywhere.</summary>
    public static Tensor NullLabelsLike(Tensor labels)
    {
        using Scalar nullLabel = Pipeline.Sampling.Conditioning.NullLabel;
        return full_like(labels, nullLabel);
    }
}
