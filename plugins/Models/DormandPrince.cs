using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Plugins.Models;

/// <summary>Work done by an adaptive integration.</summary>
public readonly record struct IntegrationStatistics(int Accepted, int Rejected, int Evaluations);

/// <summary>
/// Adaptive explicit Runge-Kutta integration of dy/ds = f(s, y) with the Dormand-Prince 5(4) pair
/// (Dormand and Prince 1980; Hairer, Norsett and Wanner, Solving ODEs I, Table II.5.2): fifth-order
/// solution, embedded fourth-order error estimate, first-same-as-last stage. The error of a step is the
/// largest |err_i| / (atol + rtol max(|y_i|, |y_new,i|)) over every element of the batch, so the whole batch
/// shares one step sequence and each element meets the tolerance.
/// </summary>
/// <remarks>
/// Reading the error norm back to the host every step is deliberate: this is a reference integrator
/// for tests and metrics, not a sampler's step loop.
/// </remarks>
static class DormandPrince
{
    // Nodes c_i and the lower-triangular coefficients a_ij.
    const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
    const double A21 = 1.0 / 5;
    const double A31 = 3.0 / 40, A32 = 9.0 / 40;
    const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
    const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
    const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176, A65 = -5103.0 / 18656;
    // Fifth-order weights b_i (also the seventh stage's a_7j: first same as last).
    const double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784, B6 = 11.0 / 84;
    // b_i - b*_i, with b* the embedded fourth-order weights.
    const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;

    const int MaxSteps = 200_000;

    /// <summary>
    /// Integrates from (s0, y0) to s1 (either direction). <paramref name="f"/> returns a new tensor.
    /// Returns a new tensor; <paramref name="y0"/> is not modified.
    /// </summary>
    public static (Tensor Y, IntegrationStatistics Statistics) Integrate(
        Func<double, Tensor, Tensor> f, Tensor y0, double s0, double s1, double rtol, double atol, double firstStep = 1e-2)
    {
        if (!(rtol > 0) && !(atol > 0)) throw new ArgumentException("need a positive rtol or atol");
        double direction = Math.Sign(s1 - s0);
        var y = y0.clone().DetachFromDisposeScope();
        if (direction == 0) return (y, new IntegrationStatistics(0, 0, 0));

        int accepted = 0, rejected = 0, evaluations = 1;
        var k1 = f(s0, y).DetachFromDisposeScope();
        double s = s0;
        double h = Math.Min(firstStep, Math.Abs(s1 - s0));
        using var relative = rtol.ToScalar();
        using var absolute = atol.ToScalar();
        try
        {
            while (direction * (s1 - s) > 0)
            {
                if (accepted + rejected > MaxSteps)
                    throw new InvalidOperationException($"Dormand-Prince: more than {MaxSteps} steps between {s0} and {s1}; the tolerance is too tight for double precision");
                double remaining = Math.Abs(s1 - s);
                bool last = h >= remaining * (1 - 1e-12);
                if (last) h = remaining;
                double hs = direction * h;

                using var scope = NewDisposeScope();
                var k2 = f(s + C2 * hs, Combine(y, hs, (A21, k1)));
                var k3 = f(s + C3 * hs, Combine(y, hs, (A31, k1), (A32, k2)));
                var k4 = f(s + C4 * hs, Combine(y, hs, (A41, k1), (A42, k2), (A43, k3)));
                var k5 = f(s + C5 * hs, Combine(y, hs, (A51, k1), (A52, k2), (A53, k3), (A54, k4)));
                var k6 = f(s + hs, Combine(y, hs, (A61, k1), (A62, k2), (A63, k3), (A64, k4), (A65, k5)));
                var yNew = Combine(y, hs, (B1, k1), (B3, k3), (B4, k4), (B5, k5), (B6, k6));
                var k7 = f(s + hs, yNew);
                evaluations += 6;

                var error = Combine(null, hs, (E1, k1), (E3, k3), (E4, k4), (E5, k5), (E6, k6), (E7, k7));
                var tolerance = maximum(y.abs(), yNew.abs()).mul_(relative).Plus_(absolute);
                double norm = error.abs_().div_(tolerance).max().item<double>();
                if (!double.IsFinite(norm))
                    throw new InvalidOperationException($"Dormand-Prince: non-finite values near s = {s}");

                if (norm <= 1)
                {
                    accepted++;
                    s = last ? s1 : s + hs;
                    y.Dispose();
                    k1.Dispose();
                    y = yNew.DetachFromDisposeScope();
                    k1 = k7.DetachFromDisposeScope();
                }
                else rejected++;

                // Standard controller for a fifth-order local error: h_new = h (1 / err)^(1/5), with a safety factor and limits.
                double factor = norm == 0 ? 5 : Math.Clamp(0.9 * Math.Pow(norm, -0.2), 0.2, 5);
                if (norm > 1) factor = Math.Min(factor, 1);
                h *= factor;
                if (h < 1e-15 * Math.Max(1, Math.Abs(s)))
                    throw new InvalidOperationException($"Dormand-Prince: step size underflow at s = {s}");
            }
        }
        catch
        {
            y.Dispose();
            throw;
        }
        finally
        {
            k1.Dispose();
        }
        return (y, new IntegrationStatistics(accepted, rejected, evaluations));
    }

    /// <summary>(start or 0) + h sum_i c_i k_i, as one new tensor.</summary>
    static Tensor Combine(Tensor? start, double h, params (double C, Tensor K)[] terms)
    {
        Tensor sum;
        using (var c0 = (h * terms[0].C).ToScalar())
            sum = start is null ? terms[0].K.mul(c0) : start.add(terms[0].K, c0);
        for (int i = 1; i < terms.Length; i++)
        {
            using var c = (h * terms[i].C).ToScalar();
            sum.add_(terms[i].K, c);
        }
        return sum;
    }
}
