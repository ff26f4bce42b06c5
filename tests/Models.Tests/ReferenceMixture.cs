namespace Pipeline.Tests;

/// <summary>
/// The mixture's formulas written out point by point in doubles: an independent reference for the tensor
/// implementation. Component k of the marginal at (alpha, sigma) is N(alpha mu_k, diag(alpha^2 s_k^2 + sigma^2)).
/// </summary>
sealed record ReferenceMixture(double[] Weights, double[][] Means, double[][] Stds)
{
    int K => Weights.Length;
    int D => Means[0].Length;
    double S(int k, int d) => Stds[k].Length == 1 ? Stds[k][0] : Stds[k][d];
    double V(int k, int d, double a, double s) => a * a * S(k, d) * S(k, d) + s * s;

    double[] LogJoint(double[] x, double a, double s)
    {
        double total = Weights.Sum();
        var lj = new double[K];
        for (int k = 0; k < K; k++)
        {
            double acc = Math.Log(Weights[k] / total);
            for (int d = 0; d < D; d++)
            {
                double v = V(k, d, a, s), diff = x[d] - a * Means[k][d];
                acc -= 0.5 * (diff * diff / v + Math.Log(2 * Math.PI * v));
            }
            lj[k] = acc;
        }
        return lj;
    }

    public double LogDensity(double[] x, double a, double s)
    {
        var lj = LogJoint(x, a, s);
        double m = lj.Max();
        return m + Math.Log(lj.Sum(l => Math.Exp(l - m)));
    }

    public double[] Responsibilities(double[] x, double a, double s)
    {
        var lj = LogJoint(x, a, s);
        double m = lj.Max();
        var r = lj.Select(l => Math.Exp(l - m)).ToArray();
        double z = r.Sum();
        return r.Select(v => v / z).ToArray();
    }

    /// <summary>eps of component k alone: sigma (x - alpha mu_k) / v_k.</summary>
    public double[] ComponentEpsilon(int k, double[] x, double a, double s) =>
        Enumerable.Range(0, D).Select(d => s * (x[d] - a * Means[k][d]) / V(k, d, a, s)).ToArray();

    /// <summary>Posterior mean E[x_0 | x_t] = sum_k r_k (mu_k + alpha s_k^2 (x - alpha mu_k) / v_k) (Gaussian conditioning).</summary>
    public double[] PosteriorMean(double[] x, double a, double s)
    {
        var r = Responsibilities(x, a, s);
        var m = new double[D];
        for (int k = 0; k < K; k++)
            for (int d = 0; d < D; d++)
                m[d] += r[k] * (Means[k][d] + a * S(k, d) * S(k, d) * (x[d] - a * Means[k][d]) / V(k, d, a, s));
        return m;
    }
}
