using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// Turns any prediction type into both eps and x_0 using x = alpha x_0 + sigma eps.
/// Conversions are computed where they are well conditioned: for an x_0 model eps comes from x_0,
/// for an eps model x_0 from eps.
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
                // v = alpha eps - sigma x0 with alpha^2 + sigma^2 = r^2: eps = (alpha v + sigma x) / r^2, x0 = (alpha x - sigma v) / r^2.
                double r2 = alpha * alpha + sigma * sigma;
                var eps = (x * (sigma / r2)).add_(raw, alpha: alpha / r2);
                var x0 = (x * (alpha / r2)).add_(raw, alpha: -sigma / r2);
                return new(eps, x0);
            }
            case PredictionType.Score:
            {
                var eps = raw * (-sigma);
                return new(eps, DataFromEpsilon(x, eps, alpha, sigma));
            }
            case PredictionType.Flow:
            {
                // For alpha = 1 - t, sigma = t: velocity u = eps - x0, x = x0 + t u.
                // Hence x0 = x - sigma u and eps = x + alpha u (valid when alpha + sigma = 1).
                var x0 = x.add(raw, alpha: -sigma);
                var eps = x.add(raw, alpha: alpha);
                return new(eps, x0);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    public static Tensor DataFromEpsilon(Tensor x, Tensor eps, double alpha, double sigma) =>
        x.add(eps, alpha: -sigma).div_(alpha);

    public static Tensor EpsilonFromData(Tensor x, Tensor x0, double alpha, double sigma) =>
        x.add(x0, alpha: -alpha).div_(sigma);
}
