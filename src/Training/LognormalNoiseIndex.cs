using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>
/// The lognormal distribution over the noise index of improved consistency training (Song and Dhariwal 2023,
/// section 3.5): the pair (sigma_i, sigma_(i+1)) is drawn with probability proportional to the mass of
/// ln sigma ~ N(P_mean, P_std^2) between them,
/// p(sigma_i) ∝ erf((ln sigma_(i+1) - P_mean) / (sqrt 2 P_std)) - erf((ln sigma_i - P_mean) / (sqrt 2 P_std)),
/// and weighted by lambda(sigma_i) = 1 / (sigma_(i+1) - sigma_i) (section 3.1). Here sigma is the EDM noise level
/// s = sigma / alpha of the VP schedule at the grid's boundaries.
/// </summary>
public static class LognormalNoiseIndex
{
    /// <summary>p(i) for the N - 1 pairs (i, i + 1) of increasing levels <paramref name="levels"/>, summing to 1.</summary>
    public static double[] Probabilities(IReadOnlyList<double> levels, double mean, double std)
    {
        double Cdf(double s) => Erf((Math.Log(s) - mean) / (Math.Sqrt(2) * std));
        var p = new double[levels.Count - 1];
        for (int i = 0; i < p.Length; i++) p[i] = Cdf(levels[i + 1]) - Cdf(levels[i]);
        double sum = p.Sum();
        if (!(sum > 0))
            throw new InvalidOperationException("the lognormal puts no mass on the grid; move noiseMean into the schedule's range");
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>lambda(sigma_i) = 1 / (sigma_(i+1) - sigma_i) for the N - 1 pairs.</summary>
    public static double[] Weights(IReadOnlyList<double> levels) =>
        Enumerable.Range(0, levels.Count - 1).Select(i => 1 / (levels[i + 1] - levels[i])).ToArray();

    /// <summary>Draws <paramref name="count"/> pair indices from <paramref name="probabilities"/> with torch's global generator.</summary>
    public static Tensor Sample(double[] probabilities, long count, Device device)
    {
        using var p = tensor(probabilities, float64);
        using var drawn = multinomial(p, count, replacement: true);
        return drawn.to(device);
    }

    /// <summary>The error function in double precision: its Maclaurin series below |x| = 3, a continued fraction for erfc above.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        double value;
        if (a < 3)
        {
            // erf x = 2 / sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n + 1)).
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            value = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc x = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))).
            double fraction = a;
            for (int k = 80; k >= 1; k--) fraction = a + k / 2.0 / fraction;
            value = 1 - Math.Exp(-a * a) / (Math.Sqrt(Math.PI) * fraction);
        }
        return x < 0 ? -value : value;
    }
}
