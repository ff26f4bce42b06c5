using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Plugins.Models.Mnist.Metrics;

/// <summary>
/// The Frechet (2-Wasserstein) distance between Gaussians fitted to two feature sets (Dowson and Landau
/// 1982; as FID, Heusel et al. 2017): |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)), in float64. The trace of
/// (S1 S2)^(1/2) is taken as Tr (S1^(1/2) S2 S1^(1/2))^(1/2): the two matrices have the same eigenvalues,
/// and the second is symmetric, so both square roots come from symmetric eigendecompositions.
/// </summary>
public static class FrechetDistance
{
    /// <summary>Mean [D] and unbiased covariance [D, D] of features [N, D], in float64.</summary>
    public static (Tensor Mean, Tensor Covariance) Statistics(Tensor features)
    {
        using var scope = NewDisposeScope();
        var f = features.to_type(ScalarType.Float64);
        long n = f.shape[0];
        var mean = f.mean([0]);
        var centred = f.sub(mean);
        using Scalar degrees = (double)Math.Max(1, n - 1);
        var covariance = centred.t().matmul(centred).div_(degrees);
        return (scope.MoveToOuter(mean), scope.MoveToOuter(covariance));
    }

    public static double Between(Tensor mean1, Tensor covariance1, Tensor mean2, Tensor covariance2)
    {
        using var scope = NewDisposeScope();
        var difference = mean1.sub(mean2);
        var root1 = SymmetricSqrt(covariance1);
        var middle = root1.matmul(covariance2).matmul(root1);
        using Scalar half = 0.5, zero = 0.0, two = 2.0;
        middle = middle.Plus(middle.t()).mul_(half);
        var eigenvalues = linalg.eigvalsh(middle);
        var traceRoot = eigenvalues.clamp_min(zero).sqrt_().sum();
        var distance = difference.dot(difference).Plus_(covariance1.trace()).Plus_(covariance2.trace()).sub_(traceRoot.mul_(two));
        return distance.to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>The positive semi-definite square root of a symmetric matrix (negative rounding-error eigenvalues set to 0).</summary>
    public static Tensor SymmetricSqrt(Tensor matrix)
    {
        using var scope = NewDisposeScope();
        using Scalar half = 0.5, zero = 0.0;
        var symmetric = matrix.Plus(matrix.t()).mul_(half);
        var (values, vectors) = linalg.eigh(symmetric);
        var root = vectors.mul(values.clamp_min(zero).sqrt_().unsqueeze(0)).matmul(vectors.t());
        return scope.MoveToOuter(root);
    }
}
