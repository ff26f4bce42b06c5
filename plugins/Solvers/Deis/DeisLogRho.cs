using Pipeline.Schedules;
using Pipeline.SolverKit;

namespace Pipeline.Plugins.Solvers;

/// <summary>
/// The coefficients of DEIS with eps extrapolated in u = log rho = -lambda, rho = sigma / alpha (Zhang and Chen 2023:
/// in rho the probability-flow ODE is d(x / alpha) = eps d rho, the form behind their rhoAB-DEIS, which extrapolates
/// eps in rho itself; this variant extrapolates in its logarithm). From the exact solution
/// <code>
/// x_t = (alpha_t / alpha_s) x_s + alpha_t int_{rho_s}^{rho_t} eps d rho
/// </code>
/// with eps replaced by its Lagrange interpolant l_j(u) through the last r evaluations at u_0 = u_s, u_1, ...,
/// d rho = e^u du gives C_j = alpha_t int_{u_s}^{u_t} l_j(u) e^u du. Writing l_j(u_s + w) = sum_k a_k w^k and
/// h = u_t - u_s &lt; 0,
/// <code>
/// int_0^h w^k e^w dw = k! h^(k+1) e^h phi_{k+1}(-h)   (w = h theta; phi_k as in PhiFunctions),
/// C_j = alpha_t rho_s e^h sum_k a_k k! h^(k+1) phi_{k+1}(-h) = sigma_t sum_k a_k k! h^(k+1) phi_{k+1}(-h).
/// </code>
/// Order 1 gives C_0 = sigma_t - alpha_t rho_s, DDIM. The phi form has no cancellation between the two ends of the
/// step, unlike the antiderivative evaluated at u_t and u_s. Into t = 0 (u_t = -infinity) the integral converges:
/// int_0^{-infinity} w^k e^w dw = -(-1)^k k!, so C_j = -alpha_t rho_s sum_k a_k (-1)^k k! (order 1: the x_0 prediction).
/// </summary>
internal static class DeisLogRho
{
    /// <param name="nodes">tau_0 = s, then the earlier (larger) times.</param>
    internal static DeisStep Step(INoiseSchedule schedule, double[] nodes, double t)
    {
        var points = nodes.Select(tau => TimePoint.At(schedule, tau)).ToArray();
        var pointT = TimePoint.At(schedule, t);
        double uS = -points[0].Lambda;
        // Nodes relative to u_s: w_0 = 0, w_m = u_m - u_s > 0 (earlier times are noisier).
        var w = points.Select(p => -p.Lambda - uS).ToArray();
        double rhoS = points[0].Sigma / points[0].Alpha;
        bool intoClean = pointT.Sigma == 0;
        double h = intoClean ? double.NegativeInfinity : -pointT.Lambda - uS;

        // Weight of a_k: k! h^(k+1) phi_{k+1}(-h) times sigma_t, or -(-1)^k k! rho_s alpha_t into t = 0.
        var moment = new double[nodes.Length];
        for (int k = 0; k < nodes.Length; k++)
            moment[k] = intoClean
                ? -pointT.Alpha * rhoS * (k % 2 == 0 ? 1 : -1) * PhiFunctions.Factorial(k)
                : pointT.Sigma * PhiFunctions.Factorial(k) * Math.Pow(h, k + 1) * PhiFunctions.Phi(k + 1, -h);

        var c = new double[nodes.Length];
        for (int j = 0; j < nodes.Length; j++)
        {
            var a = LagrangeMonomials(w, j);
            for (int k = 0; k < a.Length; k++) c[j] += a[k] * moment[k];
        }
        return new DeisStep(Math.Exp(pointT.LogAlpha - points[0].LogAlpha), c);
    }

    /// <summary>The power-series coefficients a_k of l_j(w) = prod_{m != j} (w - w_m) / (w_j - w_m).</summary>
    internal static double[] LagrangeMonomials(double[] w, int j)
    {
        var a = new double[w.Length];
        a[0] = 1;
        int degree = 0;
        for (int m = 0; m < w.Length; m++)
        {
            if (m == j) continue;
            double scale = 1 / (w[j] - w[m]);
            // Multiply by (w - w_m) / (w_j - w_m), highest power first.
            for (int k = degree + 1; k >= 0; k--)
                a[k] = ((k > 0 ? a[k - 1] : 0) - w[m] * a[k]) * scale;
            degree++;
        }
        return a;
    }
}
