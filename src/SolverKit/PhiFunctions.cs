namespace Pipeline.SolverKit;

/// <summary>
/// The phi functions of exponential integrators, phi_k(z) = (e^z - sum_{j&lt;k} z^j / j!) / z^k
/// (phi_0 = e^z, phi_{k+1}(z) = (phi_k(z) - 1/k!) / z), in the scaled form z phi_k(z) that the DPM-Solver family
/// and its relatives (DEIS, UniPC) multiply their Taylor terms by: z phi_1 = e^z - 1, z phi_2 = (e^z - 1 - z) / z,
/// z phi_3 = (e^z - 1 - z - z^2/2) / z^2. Accurate near z = 0 (series) and finite at z = -infinity (a step into
/// sigma = 0 in data prediction): z phi_1 = -1, z phi_k = -1/(k-1)! there.
/// </summary>
public static class PhiFunctions
{
    /// <summary>Below this |z| the series is used; above it the recurrence loses at most a few ulps for k &lt;= 4.</summary>
    const double SeriesRadius = 1.0;

    /// <summary>
    /// phi_k(x) itself (Hochbruck and Ostermann 2010, eq. (2.10)); series for |x| &lt; 1, recursion beyond.
    /// phi_k(-infinity) = 0 for k &gt;= 1.
    /// </summary>
    /// <param name="k">k &gt;= 0.</param>
    /// <param name="x">The argument.</param>
    public static double Phi(int k, double x)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0) return Math.Exp(x);
        if (Math.Abs(x) < 1)
        {
            double term = 1.0 / Factorial(k), sum = term;
            for (int j = 1; j < 30; j++)
            {
                term *= x / (j + k);
                sum += term;
            }
            return sum;
        }
        double phi = Numerics.ExpM1(x) / x;
        for (int m = 1; m < k; m++) phi = (phi - 1.0 / Factorial(m)) / x;
        return phi;
    }

    /// <summary>n! as a double (1 for n &lt;= 1).</summary>
    /// <param name="n">The argument.</param>
    public static double Factorial(int n)
    {
        double f = 1;
        for (int i = 2; i <= n; i++) f *= i;
        return f;
    }

    /// <summary>z phi_k(z) for k &gt;= 1, the factor of the k-th Taylor term of an exponential integrator's step of size z.</summary>
    /// <param name="k">k &gt;= 1.</param>
    /// <param name="z">The step, -h for data prediction or h for noise prediction in the DPM-Solver family.</param>
    public static double ZPhi(int k, double z)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), "k >= 1");
        if (Math.Abs(z) < SeriesRadius) return Series(k, z);
        // z phi_1 = e^z - 1; z phi_{j+1} = z phi_j / z - 1/j!  (from phi_{j+1} = (phi_j - 1/j!) / z).
        double value = Math.Exp(z) - 1, factorial = 1;
        for (int j = 1; j < k; j++)
        {
            factorial *= j;
            value = value / z - 1 / factorial;
        }
        return value;
    }

    /// <summary>z phi_k(z) = sum_{j&gt;=0} z^{j+1} / (j+k)!.</summary>
    static double Series(int k, double z)
    {
        double term = z, denominator = 1;
        for (int i = 2; i <= k; i++) denominator *= i;
        term /= denominator;   // z / k!
        double sum = 0;
        for (int j = 0; j < 40 && Math.Abs(term) > 1e-18 * Math.Abs(sum); j++)
        {
            sum += term;
            term *= z / (j + k + 1);
        }
        return sum;
    }
}
