namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The phi functions of exponential integrators, phi_k(x) = sum_{j &gt;= 0} x^j / (j + k)!, so phi_0 = e^x,
/// phi_1 = (e^x - 1) / x and phi_{k+1}(x) = (phi_k(x) - 1/k!) / x (Hochbruck and Ostermann 2010, eq. (2.10)).
/// </summary>
internal static class PhiFunctions
{
    /// <summary>
    /// phi_k(x) in double precision. The recursion loses digits to cancellation when |x| is small, so there the
    /// series is summed instead (for |x| &lt; 1 thirty terms are far below an ulp). phi_k(-infinity) = 0 for k &gt;= 1.
    /// </summary>
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

    public static double Factorial(int n)
    {
        double f = 1;
        for (int i = 2; i <= n; i++) f *= i;
        return f;
    }
}
