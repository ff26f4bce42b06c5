namespace Pipeline.SolverKit;

/// <summary>
/// Gauss-Legendre quadrature on the host: n nodes integrate polynomials of degree 2n - 1 exactly, and analytic
/// integrands with an error that falls geometrically in n (Golub-Welsch / Newton on P_n; Abramowitz and Stegun 25.4.29).
/// </summary>
public sealed class GaussLegendre
{
    /// <summary>Nodes in (-1, 1), ascending.</summary>
    public double[] Nodes { get; }

    /// <summary>The weight of each node, in the order of <see cref="Nodes"/>; they sum to 2.</summary>
    public double[] Weights { get; }

    /// <summary>The n-point rule.</summary>
    /// <param name="n">The number of nodes, at least 1.</param>
    public GaussLegendre(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        Nodes = new double[n];
        Weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            // Newton on P_n from the Chebyshev-like first guess of the i-th largest root.
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double p, derivative) = Legendre(n, x);
                double dx = p / derivative;
                x -= dx;
                if (Math.Abs(dx) < 1e-16) break;
            }
            (_, derivative) = Legendre(n, x);
            double w = 2 / ((1 - x * x) * derivative * derivative);
            Nodes[n - 1 - i] = x;
            Nodes[i] = -x;
            Weights[i] = Weights[n - 1 - i] = w;
        }
    }

    /// <summary>P_n(x) and P_n'(x) by the three-term recurrence.</summary>
    static (double P, double Derivative) Legendre(int n, double x)
    {
        double p0 = 1, p1 = x;
        for (int k = 2; k <= n; k++) (p0, p1) = (p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k);
        if (n == 0) return (1, 0);
        return (p1, n * (x * p1 - p0) / (x * x - 1));
    }

    /// <summary>The integral of f over [a, b] by this rule.</summary>
    /// <param name="f">The integrand.</param>
    /// <param name="a">The lower limit.</param>
    /// <param name="b">The upper limit.</param>
    public double Integrate(Func<double, double> f, double a, double b)
    {
        double mid = (a + b) / 2, half = (b - a) / 2, sum = 0;
        for (int i = 0; i < Nodes.Length; i++) sum += Weights[i] * f(mid + half * Nodes[i]);
        return sum * half;
    }
}
