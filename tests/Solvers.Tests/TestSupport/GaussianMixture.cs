using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Tests.TestSupport;

/// <summary>
/// Test oracle: a mixture of isotropic Gaussians N(mu_k, s_k^2 I) with weights w_k. Under x_t = alpha x_0 + sigma eps
/// component k becomes N(alpha mu_k, (alpha^2 s_k^2 + sigma^2) I), so eps and E[x_0 | x_t] are closed forms
/// (responsibilities by log-sum-exp). Float64 on the CPU.
/// </summary>
public sealed class GaussianMixture
{
    public GaussianMixture(double[] weights, double[][] means, double[] stds)
    {
        Weights = weights; Means = means; Stds = stds;
        Dimension = means[0].Length;
        meanTensor = tensor(means.SelectMany(m => m).ToArray(), [Components, Dimension], float64);
        logWeights = tensor(weights.Select(w => Math.Log(w)).ToArray(), float64);
        variances = tensor(stds.Select(s => s * s).ToArray(), float64);
    }

    readonly Tensor meanTensor, logWeights, variances;

    public double[] Weights { get; }
    public double[][] Means { get; }
    public double[] Stds { get; }
    public int Dimension { get; }
    public int Components => Weights.Length;

    /// <summary>The component posterior p(k | x_t), [B, K].</summary>
    public Tensor Responsibilities(Tensor x, double alpha, double sigma)
    {
        using var scope = NewDisposeScope();
        var (_, _, r) = Parts(x, alpha, sigma);
        return scope.MoveToOuter(r);
    }

    /// <summary>eps = -sigma grad log p_t(x) and x_0 = E[x_0 | x_t = x], both [B, D] float64.</summary>
    public (Tensor Eps, Tensor X0) Predict(Tensor x, double alpha, double sigma)
    {
        using var scope = NewDisposeScope();
        var (diff, v, r) = Parts(x, alpha, sigma);
        var rOverV = (r / v).unsqueeze(-1);                                // [B, K, 1]
        using Scalar s = sigma, a = alpha;
        var eps = (rOverV * diff).sum(1).mul_(s);                           // sigma sum_k r_k (x - alpha mu_k) / v_k
        // E[x_0 | x, k] = mu_k + alpha s_k^2 / v_k (x - alpha mu_k)
        var x0 = (r.unsqueeze(-1) * meanTensor.Plus(variances.mul(a).div(v).unsqueeze(-1) * diff)).sum(1);
        return scope.MoveToOuter(eps, x0);
    }

    (Tensor Diff, Tensor V, Tensor R) Parts(Tensor x, double alpha, double sigma)
    {
        // Explicit Scalars, disposed here: a Scalar left to the finalizer can be freed while native code still reads it.
        using Scalar a = alpha, a2 = alpha * alpha, s2 = sigma * sigma, twoPi = 2 * Math.PI, half = 0.5, halfD = 0.5 * Dimension;
        var x64 = x.to_type(float64);
        var v = variances.mul(a2).Plus_(s2);                                 // [K]
        var diff = x64.unsqueeze(1).sub(meanTensor.mul(a));                 // [B, K, D]
        var logp = logWeights.sub(v.mul(twoPi).log_().mul_(halfD)).sub(diff.Squared().sum(-1).mul_(half).div_(v));
        return (diff, v, logp.softmax(1));
    }

    /// <summary>n samples of x_t = alpha x_0 + sigma eps, with their components.</summary>
    public (Tensor X, long[] Components) Sample(int n, double alpha, double sigma, long seed)
    {
        var rng = new Random((int)seed);
        var comps = new long[n];
        for (int i = 0; i < n; i++)
        {
            double u = rng.NextDouble(), acc = 0;
            int k = 0;
            for (; k < Components - 1; k++) { acc += Weights[k]; if (u < acc) break; }
            comps[i] = k;
        }
        using var gen = new Generator((ulong)seed);
        using var z = randn([n, Dimension], float64, generator: gen);
        using var idx = tensor(comps);
        using var mu = meanTensor.index_select(0, idx);
        using var sd = variances.index_select(0, idx).sqrt().unsqueeze(-1);
        using Scalar a = alpha, a2 = alpha * alpha, s2 = sigma * sigma;
        using var std = sd.Squared().mul_(a2).Plus_(s2).sqrt_();
        return (mu.mul(a).Plus_(z.mul(std)), comps);
    }

    public double Mean(int d) => Enumerable.Range(0, Components).Sum(k => Weights[k] * Means[k][d]);

    public double Variance(int d)
    {
        double m = Mean(d);
        return Enumerable.Range(0, Components).Sum(k => Weights[k] * (Stds[k] * Stds[k] + Math.Pow(Means[k][d] - m, 2)));
    }

    /// <summary>E[(X_d - mean)^4]: per component delta^4 + 6 delta^2 s^2 + 3 s^4.</summary>
    public double FourthCentralMoment(int d)
    {
        double m = Mean(d);
        return Enumerable.Range(0, Components).Sum(k =>
        {
            double delta = Means[k][d] - m, s2 = Stds[k] * Stds[k];
            return Weights[k] * (Math.Pow(delta, 4) + 6 * delta * delta * s2 + 3 * s2 * s2);
        });
    }
}
