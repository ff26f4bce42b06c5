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
    /// <summary>
    /// The alpha of 1 that TorchSharp's <c>add(Tensor)</c>, <c>add_(Tensor)</c>, <c>add(Scalar)</c> and <c>add_(Scalar)</c>
    /// make from an int and drop; this one lives as long as the process (an integer, as libtorch wants for integer tensors).
    /// </summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>a + b, a new tensor (TorchSharp's <c>add(Tensor)</c> without its dropped alpha).</summary>
    public static torch.Tensor Plus(this torch.Tensor a, torch.Tensor b) => a.add(b, One);

    /// <summary>a += b in place.</summary>
    public static torch.Tensor Plus_(this torch.Tensor a, torch.Tensor b) => a.add_(b, One);

    /// <summary>a + b for a Scalar b the caller keeps alive, a new tensor.</summary>
    public static torch.Tensor Plus(this torch.Tensor a, Scalar b) => a.add(b, One);

    /// <summary>a += b for a Scalar b the caller keeps alive, in place.</summary>
    public static torch.Tensor Plus_(this torch.Tensor a, Scalar b) => a.add_(b, One);

    /// <summary>x * x, a new tensor.</summary>
    public static torch.Tensor Squared(this torch.Tensor x) => x.mul(x);

    /// <summary>
    /// log(1 + e^x) as relu(x) + log1p(e^-|x|), exact for large |x| without TorchSharp's softplus, which makes its beta
    /// and threshold Scalars from doubles and drops them.
    /// </summary>
    public static torch.Tensor Softplus(this torch.Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(x.relu().Plus(x.abs().neg().exp().log1p()));
    }

    /// <summary>x * x in place.</summary>
    public static torch.Tensor Squared_(this torch.Tensor x) => x.mul_(x);
}
