using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// Turns any prediction type into both eps and x_0 using x = alpha x_0 + sigma eps.
/// Conversions are computed where they are well conditioned: for an x_0 model eps comes from x_0,
/// for an eps model x_0 from eps. Coefficients become native Scalars that are disposed at once, since this
/// runs at every model evaluation.
/// </summary>
public static class PredictionConversion
{
    public static ModelOutput ToOutput(PredictionType type, Tensor x, Tensor raw, double alpha, double sigma)
    {
        switch (type)
        {
            case PredictionType.Epsilon:
                return new(raw, DataFromEpsilon(x, raw, alpha, sigma));
            case PredictionType.Data:
                return new(EpsilonFromData(x, raw, alpha, sigma), raw);
            case PredictionType.V:
            {
                // v = alpha eps - sigma x0 with alpha^2 + sigma^2 = r^2: eps = (sigma x + alpha v) / r^2, x0 = (alpha x - sigma v) / r^2.
                double r2 = alpha * alpha + sigma * sigma;
                return new(Combine(sigma / r2, x, alpha / r2, raw), Combine(alpha / r2, x, -sigma / r2, raw));
            }
            case PredictionType.Score:
            {
                using Scalar minusSigma = -sigma;
                var eps = raw.mul(minusSigma);
                return new(eps, DataFromEpsilon(x, eps, alpha, sigma));
            }
            case PredictionType.Flow:
                // For alpha = 1 - t, sigma = t: velocity u = eps - x0, x = x0 + t u.
                // Hence x0 = x - sigma u and eps = x + alpha u (valid when alpha + sigma = 1).
                return new(Combine(1, x, alpha, raw), Combine(1, x, -sigma, raw));
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    /// <summary>x_0 = (x - sigma eps) / alpha.</summary>
    public static Tensor DataFromEpsilon(Tensor x, Tensor eps, double alpha, double sigma) =>
        Combine(1 / alpha, x, -sigma / alpha, eps);

    /// <summary>eps = (x - alpha x_0) / sigma.</summary>
    public static Tensor EpsilonFromData(Tensor x, Tensor x0, double alpha, double sigma) =>
        Combine(1 / sigma, x, -alpha / sigma, x0);

    /// <summary>A new tensor a x + b y.</summary>
    static Tensor Combine(double a, Tensor x, double b, Tensor y)
    {
        using Scalar sb = b;
        if (a == 1) return x.add(y, sb);
        using Scalar sa = a;
        return x.mul(sa).add_(y, sb);
    }
}
