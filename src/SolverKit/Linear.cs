using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.SolverKit;

/// <summary>
/// Linear combinations with host-side double coefficients, the arithmetic of every update rule.
/// Each coefficient becomes a native Scalar that is disposed as soon as the call returns rather than left to the
/// finalizer, which could free it while libtorch reads it (docs/development.md).
/// </summary>
public static class Linear
{
    /// <summary>A new tensor a x + b y; neither input is written.</summary>
    /// <param name="a">The weight of <paramref name="x"/>.</param>
    /// <param name="x">The first term.</param>
    /// <param name="b">The weight of <paramref name="y"/>.</param>
    /// <param name="y">The second term, of the shape of <paramref name="x"/> or broadcastable to it.</param>
    public static Tensor Combine(double a, Tensor x, double b, Tensor y)
    {
        using Scalar sb = b;
        if (a == 1) return x.add(y, sb);
        using Scalar sa = a;
        return x.mul(sa).add_(y, sb);
    }

    /// <summary>acc += a y in place on <paramref name="acc"/> (a temporary of the caller's); returns it.</summary>
    /// <param name="acc">The accumulator, written in place.</param>
    /// <param name="a">The weight of <paramref name="y"/>.</param>
    /// <param name="y">The term added.</param>
    public static Tensor AddScaled_(this Tensor acc, double a, Tensor y)
    {
        using Scalar sa = a;
        return acc.add_(y, sa);
    }

    /// <summary>A new tensor a x.</summary>
    /// <param name="a">The factor.</param>
    /// <param name="x">The tensor scaled; not written.</param>
    public static Tensor Scale(double a, Tensor x)
    {
        using Scalar sa = a;
        return x.mul(sa);
    }
}
