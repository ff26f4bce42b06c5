using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.TestSupport;

/// <summary>
/// Reference solution of the probability-flow ODE for the mixture: in y = x / alpha and lambda = log(alpha / sigma)
/// the ODE is dy/dlambda = -e^{-lambda} eps(alpha y, t(lambda)) (DPM-Solver eq. (3.4)), integrated sample by sample by
/// adaptive Dormand-Prince 5(4) in plain doubles (its own closed-form eps, independent of the tensor code).
/// </summary>
public static class ExactFlow
{
    static readonly double[] C = [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1];
    static readonly double[][] A =
    [
        [],
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [44.0 / 45, -56.0 / 15, 32.0 / 9],
        [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
        [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
        [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84],
    ];
    /// <summary>Fifth-order weights minus the embedded fourth-order ones.</summary>
    static readonly double[] E =
        [71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40];

    /// <summary>x at time <paramref name="t1"/> from x [B, D] at <paramref name="t0"/> (both &gt; 0), as float64.</summary>
    public static Tensor Solve(GaussianMixture mixture, INoiseSchedule schedule, Tensor x, double t0, double t1,
        double rtol = 1e-10, double atol = 1e-12)
    {
        using var x64 = x.to_type(float64).contiguous();
        var data = x64.data<double>().ToArray();
        int d = mixture.Dimension, batch = data.Length / d;
        var result = new double[data.Length];
        for (int b = 0; b < batch; b++)
        {
            var y = Solve(mixture, schedule, data.AsSpan(b * d, d).ToArray(), t0, t1, rtol, atol);
            y.CopyTo(result, b * d);
        }
        return tensor(result, [batch, d], float64);
    }

    static double[] Solve(GaussianMixture mixture, INoiseSchedule schedule, double[] x, double t0, double t1, double rtol, double atol)
    {
        int d = x.Length;
        double l = schedule.Lambda(t0), l1 = schedule.Lambda(t1), h = (l1 - l) / 100;
        var y = x.Select(v => v / schedule.Alpha(t0)).ToArray();
        var k = new double[7][];
        k[0] = Slope(mixture, schedule, l, y);
        var yi = new double[d];
        while (l < l1)
        {
            h = Math.Min(h, l1 - l);
            for (int i = 1; i < 7; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    double acc = y[j];
                    for (int m = 0; m < i; m++) acc += h * A[i][m] * k[m][j];
                    yi[j] = acc;
                }
                k[i] = Slope(mixture, schedule, l + C[i] * h, yi);
            }
            // yi now holds the fifth-order solution, where the last stage was evaluated (FSAL).
            double ratio = 0;
            for (int j = 0; j < d; j++)
            {
                double err = 0;
                for (int m = 0; m < 7; m++) err += h * E[m] * k[m][j];
                ratio = Math.Max(ratio, Math.Abs(err) / (atol + rtol * Math.Max(Math.Abs(y[j]), Math.Abs(yi[j]))));
            }
            if (ratio <= 1)
            {
                l += h;
                Array.Copy(yi, y, d);
                k[0] = k[6];
            }
            h *= Math.Clamp(0.9 * Math.Pow(Math.Max(ratio, 1e-10), -0.2), 0.2, 5);
        }
        double alpha1 = schedule.Alpha(t1);
        return y.Select(v => v * alpha1).ToArray();
    }

    /// <summary>dy/dlambda = -e^{-lambda} eps(alpha y, t(lambda)).</summary>
    static double[] Slope(GaussianMixture mixture, INoiseSchedule schedule, double lambda, double[] y)
    {
        double t = schedule.TimeOfLambda(lambda), alpha = schedule.Alpha(t), sigma = schedule.Sigma(t);
        var eps = Epsilon(mixture, y.Select(v => alpha * v).ToArray(), alpha, sigma);
        double c = -Math.Exp(-lambda);
        for (int j = 0; j < eps.Length; j++) eps[j] *= c;
        return eps;
    }

    /// <summary>eps = sigma sum_k r_k (x - alpha mu_k) / v_k, v_k = alpha^2 s_k^2 + sigma^2, r_k by log-sum-exp.</summary>
    public static double[] Epsilon(GaussianMixture mixture, double[] x, double alpha, double sigma)
    {
        int kCount = mixture.Components, d = x.Length;
        var logp = new double[kCount];
        var v = new double[kCount];
        for (int k = 0; k < kCount; k++)
        {
            v[k] = alpha * alpha * mixture.Stds[k] * mixture.Stds[k] + sigma * sigma;
            double sq = 0;
            for (int j = 0; j < d; j++) { double e = x[j] - alpha * mixture.Means[k][j]; sq += e * e; }
            logp[k] = Math.Log(mixture.Weights[k]) - 0.5 * d * Math.Log(2 * Math.PI * v[k]) - 0.5 * sq / v[k];
        }
        double max = logp.Max(), norm = logp.Sum(lp => Math.Exp(lp - max));
        var eps = new double[d];
        for (int k = 0; k < kCount; k++)
        {
            double r = Math.Exp(logp[k] - max) / norm;
            for (int j = 0; j < d; j++) eps[j] += sigma * r * (x[j] - alpha * mixture.Means[k][j]) / v[k];
        }
        return eps;
    }
}
