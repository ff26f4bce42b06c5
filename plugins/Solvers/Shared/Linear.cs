using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// Linear combinations with host-side double coefficients, the arithmetic of every update rule.
/// Each coefficient becomes a native Scalar that is disposed at once rather than left to the finalizer.
/// </summary>
internal static class Linear
{
    /// <summary>A new tensor a x + b y.</summary>
    public static Tensor Combine(double a, Tensor x, double b, Tensor y)
    {
        using Scalar sb = b;
        if (a == 1) return x.add(y, sb);
        using Scalar sa = a;
        return x.mul(sa).add_(y, sb);
    }

    /// <summary>acc += a y in place on <paramref name="acc"/> (a temporary of the caller's); returns it.</summary>
    public static Tensor AddScaled_(this Tensor acc, double a, Tensor y)
    {
        using Scalar sa = a;
        return acc.add_(y, sa);
    }
}
