namespace Pipeline.Plugins.Schedules;

/// <summary>Relations of a variance-preserving process (alpha^2 + sigma^2 = 1) evaluated without cancellation.</summary>
static class VpMath
{
    /// <summary>log(1 + e^x) for any x.</summary>
    public static double Softplus(double x) => x > 0 ? x + Log1P(Math.Exp(-x)) : Log1P(Math.Exp(x));

    /// <summary>sigma = sqrt(1 - alpha^2) = sqrt(-expm1(2 log alpha)), exact near alpha = 1.</summary>
    public static double Sigma(double logAlpha) => Math.Sqrt(-ExpM1(2 * logAlpha));

    /// <summary>lambda = log alpha - log sigma.</summary>
    public static double Lambda(double logAlpha) => logAlpha - 0.5 * Math.Log(-ExpM1(2 * logAlpha));

    /// <summary>Inverse of <see cref="Lambda"/>: alpha^2 = sigmoid(2 lambda), so log alpha = -softplus(-2 lambda) / 2.</summary>
    public static double LogAlphaOfLambda(double lambda) =>
        double.IsPositiveInfinity(lambda) ? 0.0 : -0.5 * Softplus(-2 * lambda);

    /// <summary>log(1 + x) accurate to a few ulps for small |x| (.NET's LogP1 is log(1 + x)); Kahan's correction.</summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return u;
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>e^x - 1 accurate to a few ulps for small |x| (.NET has no expm1); Kahan's correction of exp(x) - 1.</summary>
    public static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }
}
