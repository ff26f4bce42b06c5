namespace Pipeline.SolverKit;

/// <summary>Host-side scalar functions that keep full precision for small steps.</summary>
public static class Numerics
{
    /// <summary>
    /// e^x - 1 without cancellation for small |x|, through e^x - 1 = 2 tanh(x/2) / (1 - tanh(x/2))
    /// (.NET's double.ExpM1 is not guaranteed to be accurate near 0).
    /// </summary>
    /// <param name="x">Any double; NaN gives NaN.</param>
    public static double ExpM1(double x)
    {
        if (x > 1 || double.IsNaN(x)) return Math.Exp(x) - 1;
        double th = Math.Tanh(x / 2);
        return 2 * th / (1 - th);
    }

    /// <summary>1 - e^{-x} for x &gt;= 0 (1 for x = +infinity).</summary>
    /// <param name="x">x &gt;= 0, or +infinity.</param>
    public static double OneMinusExpNeg(double x) => -ExpM1(-x);
}
