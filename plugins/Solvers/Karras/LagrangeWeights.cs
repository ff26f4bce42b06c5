namespace Pipeline.Plugins.Solvers.Karras;

/// <summary>
/// Weights of a linear multistep step on arbitrary nodes: the integral over [a, b] of each Lagrange basis polynomial of
/// the nodes (k-diffusion's linear_multistep_coeff). The polynomials have degree below the node count, so a 5-point
/// Gauss-Legendre rule (exact to degree 9) integrates them exactly for up to 10 nodes.
/// </summary>
internal static class LagrangeWeights
{
    public const int MaxNodes = 10;

    static readonly double[] Abscissae = [-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831, 0.9061798459386640];
    static readonly double[] GaussWeights = [0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665, 0.2369268850561891];

    /// <summary>w_j = integral_a^b prod_{m != j} (tau - nodes[m]) / (nodes[j] - nodes[m]) dtau, for distinct nodes.</summary>
    public static double[] Integrate(IReadOnlyList<double> nodes, double a, double b)
    {
        int k = nodes.Count;
        if (k is < 1 or > MaxNodes) throw new ArgumentOutOfRangeException(nameof(nodes), $"{k} nodes; 1 to {MaxNodes} supported");
        // Nodes and interval shifted by a, so the products keep their digits when the nodes are far from 0.
        var shifted = nodes.Select(n => n - a).ToArray();
        double half = (b - a) / 2;
        var weights = new double[k];
        for (int q = 0; q < Abscissae.Length; q++)
        {
            double tau = half * (1 + Abscissae[q]);
            for (int j = 0; j < k; j++)
            {
                double basis = 1;
                for (int m = 0; m < k; m++)
                    if (m != j) basis *= (tau - shifted[m]) / (shifted[j] - shifted[m]);
                weights[j] += half * GaussWeights[q] * basis;
            }
        }
        return weights;
    }
}
