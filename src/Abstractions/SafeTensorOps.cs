using TorchSharp;

namespace Pipeline;

/// <summary>
/// Replacements for TorchSharp conveniences that build a native Scalar inside and drop it: TorchSharp's
/// <c>square()</c> is <c>pow(2)</c>, whose Scalar is unreferenced during the native call, so the finalizer can free it
/// while libtorch reads it (seen as "INTERNAL ASSERT FAILED at c10/core/Scalar.h" under GC pressure). These compute the
/// same without a Scalar.
/// </summary>
public static class SafeTensorOps
{
    /// <summary>x * x, a new tensor.</summary>
    public static torch.Tensor Squared(this torch.Tensor x) => x.mul(x);

    /// <summary>x * x in place.</summary>
    public static torch.Tensor Squared_(this torch.Tensor x) => x.mul_(x);
}
