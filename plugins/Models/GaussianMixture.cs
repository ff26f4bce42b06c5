using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Plugins.Models;

/// <summary>
/// A Gaussian mixture p_0 = sum_k w_k N(mu_k, diag(s_k^2)) in D dimensions, and everything about its
/// diffused marginals p_t = sum_k w_k N(alpha mu_k, diag(alpha^2 s_k^2 + sigma^2)) in closed form.
/// Since every marginal is again a mixture, its noise prediction eps = -sigma grad log p_t is exact at every
/// time: this is the oracle the accuracy tests measure solvers against.
/// </summary>
/// <remarks>
/// Samples may have any shape whose element count per sample is D; they are flattened to [B, D] inside.
/// All arithmetic is float64 on the input's device; model outputs (eps, score) come back in the input's
/// dtype and shape, diagnostics (responsibilities, log densities) stay float64.
/// </remarks>
public sealed class GaussianMixture : IDisposable
{
    readonly double[] _weights;
    readonly double[] _means;      // [K * D], row-major
    readonly double[] _variances;  // [K * D], s_k^2 per dimension
    readonly MixtureTensors _cache;

    /// <param name="weights">K positive weights, normalised here to sum 1.</param>
    /// <param name="means">K means of length D.</param>
    /// <param name="stds">K standard deviations, each of length 1 (isotropic) or D (diagonal).</param>
    /// <param name="sampleShape">Shape of one sample (its element count must be D); null for [D].</param>
    public GaussianMixture(double[] weights, double[][] means, double[][] stds, long[]? sampleShape = null)
    {
        var problem = MixtureValidation.Problems(weights, means, stds, sampleShape).FirstOrDefault();
        if (problem.Message is not null) throw new ArgumentException(problem.Message, problem.Member);

        Components = weights.Length;
        Dimension = means[0].Length;
        SampleShape = sampleShape is null ? [Dimension] : (long[])sampleShape.Clone();
        double total = weights.Sum();
        _weights = weights.Select(w => w / total).ToArray();
        _means = new double[Components * Dimension];
        _variances = new double[Components * Dimension];
        for (int k = 0; k < Components; k++)
            for (int d = 0; d < Dimension; d++)
            {
                _means[k * Dimension + d] = means[k][d];
                double s = stds[k].Length == 1 ? stds[k][0] : stds[k][d];
                _variances[k * Dimension + d] = s * s;
            }
        _cache = new MixtureTensors(_weights, _means, _variances, Components, Dimension);
    }

    /// <summary>Number of components K.</summary>
    public int Components { get; }

    /// <summary>Dimension D of one (flattened) sample.</summary>
    public int Dimension { get; }

    /// <summary>Shape of one sample; its element count is <see cref="Dimension"/>.</summary>
    public long[] SampleShape { get; }

    /// <summary>Normalised weights w_k.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>Mean of component k.</summary>
    public double[] Mean(int k) => _means.AsSpan(k * Dimension, Dimension).ToArray();

    /// <summary>Per-dimension standard deviations of component k.</summary>
    public double[] Std(int k) => _variances.AsSpan(k * Dimension, Dimension).ToArray().Select(Math.Sqrt).ToArray();

    /// <summary>Mean of the data distribution: sum_k w_k mu_k.</summary>
    public double[] Mean()
    {
        var m = new double[Dimension];
        for (int k = 0; k < Components; k++)
            for (int d = 0; d < Dimension; d++) m[d] += _weights[k] * _means[k * Dimension + d];
        return m;
    }

    /// <summary>Per-dimension variance of the data distribution: sum_k w_k (s_k^2 + mu_k^2) - mean^2.</summary>
    public double[] Variance()
    {
        var m = Mean();
        var v = new double[Dimension];
        for (int k = 0; k < Components; k++)
            for (int d = 0; d < Dimension; d++)
            {
                double mu = _means[k * Dimension + d];
                v[d] += _weights[k] * (_variances[k * Dimension + d] + mu * mu);
            }
        for (int d = 0; d < Dimension; d++) v[d] -= m[d] * m[d];
        return v;
    }

    /// <summary>Exact eps(x) = -sigma grad log p_t(x) of the marginal at (alpha, sigma).</summary>
    public Tensor Epsilon(Tensor x, double alpha, double sigma) => Epsilon(x, alpha, sigma, labels: null);

    /// <summary>
    /// Exact eps with per-sample conditions: label k in [0, K) gives the eps of component k's Gaussian
    /// alone, <see cref="Sampling.Conditioning.NullLabel"/> (-1) that of the whole mixture; null labels mean
    /// the mixture for every sample.
    /// </summary>
    public Tensor Epsilon(Tensor x, double alpha, double sigma, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var eps = EpsilonFlat(Flatten(x), alpha, sigma, labels);
        return scope.MoveToOuter(eps.reshape(x.shape).to_type(x.dtype));
    }

    /// <summary>Exact score grad log p_t(x) (finite at sigma = 0 too).</summary>
    public Tensor Score(Tensor x, double alpha, double sigma)
    {
        using var scope = NewDisposeScope();
        var terms = Terms(Flatten(x), alpha, sigma);
        // grad log p_t = -sum_k r_k (x - alpha mu_k) / v_k.
        var score = terms.Weighted(terms.LogJoint.softmax(0)).neg_();
        return scope.MoveToOuter(score.reshape(x.shape).to_type(x.dtype));
    }

    /// <summary>Exact component posterior p(k | x_t) as float64 [B, K]: the Bayes classifier of the noisy sample.</summary>
    public Tensor Responsibilities(Tensor x, double alpha, double sigma)
    {
        using var scope = NewDisposeScope();
        var terms = Terms(Flatten(x), alpha, sigma);
        return scope.MoveToOuter(terms.LogJoint.softmax(0).t().contiguous());
    }

    /// <summary>
    /// log p(k | x_t) as float64 [B, K], by log-softmax of the log joint: finite even where the posterior
    /// underflows, and differentiable in x (the exact noisy classifier of classifier guidance).
    /// </summary>
    public Tensor LogResponsibilities(Tensor x, double alpha, double sigma)
    {
        using var scope = NewDisposeScope();
        var terms = Terms(Flatten(x), alpha, sigma);
        return scope.MoveToOuter(terms.LogJoint.log_softmax(0).t().contiguous());
    }

    /// <summary>log p_t(x) as float64 [B].</summary>
    public Tensor LogDensity(Tensor x, double alpha, double sigma)
    {
        using var scope = NewDisposeScope();
        var terms = Terms(Flatten(x), alpha, sigma);
        return scope.MoveToOuter(terms.LogJoint.logsumexp(0, false));
    }

    /// <summary>
    /// Exact draws from the data distribution: float64 samples [n, ...SampleShape] and their component
    /// indices (int64 [n]). Drawn on the CPU with <paramref name="generator"/> (so results do not depend on
    /// the device), then moved to <paramref name="device"/>.
    /// </summary>
    public (Tensor Samples, Tensor Components) Sample(long n, Generator? generator = null, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var p = _cache.On(CPU);
        var index = p.Weights.multinomial(n, replacement: true, generator: generator);
        var z = randn([n, Dimension], float64, CPU, generator: generator);
        using var one = 1.0.ToScalar();
        var x = p.Means.index_select(0, index).addcmul_(p.Variances.index_select(0, index).sqrt_(), z, one);
        var shape = new long[SampleShape.Length + 1];
        shape[0] = n;
        SampleShape.CopyTo(shape, 1);
        var target = device ?? CPU;
        return (scope.MoveToOuter(x.reshape(shape).to(target)), scope.MoveToOuter(index.to(target)));
    }

    /// <summary>eps for a flattened float64 batch [B, D]; the probability-flow oracle calls this directly.</summary>
    internal Tensor EpsilonFlat(Tensor flat, double alpha, double sigma, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var terms = Terms(flat, alpha, sigma);
        // eps = -sigma grad log p_t = sigma sum_k r_k (x - alpha mu_k) / v_k.
        var eps = terms.Weighted(terms.LogJoint.softmax(0));
        if (labels is not null)
        {
            // Component k alone: eps_k = sigma (x - alpha mu_k) / v_k.
            var labelsHere = labels.to(flat.device);
            using var zero = 0L.ToScalar();
            var pick = labelsHere.clamp_min(zero);
            var single = flat.mul(terms.Precision.index_select(0, pick)).sub_(terms.Center.index_select(0, pick));
            eps = where(labelsHere.ge(zero).unsqueeze(1), single, eps);
        }
        using var s = sigma.ToScalar();
        return scope.MoveToOuter(eps.mul_(s));
    }

    /// <summary>
    /// The shared pieces of every quantity at (alpha, sigma), with v_k = alpha^2 s_k^2 + sigma^2: the
    /// precisions 1/v_k and alpha mu_k / v_k [K, D], and the log joint log w_k + log N(x; alpha mu_k, diag v_k),
    /// component-major [K, B] (reductions over K then run along the outer dimension, which vectorises over B).
    /// The quadratic form is expanded, sum_d x^2/v - 2 x alpha mu/v + alpha^2 mu^2/v, so that it is two
    /// matrix products and nothing of size B x K x D is ever formed (mixtures of image-sized data fit).
    /// </summary>
    Terms Terms(Tensor flat, double alpha, double sigma)
    {
        var p = _cache.On(flat.device);
        using var a = alpha.ToScalar();
        using var a2 = (alpha * alpha).ToScalar();
        using var s2 = (sigma * sigma).ToScalar();
        using var minusTwo = (-2.0).ToScalar();
        using var minusHalf = (-0.5).ToScalar();
        using var logTwoPi = (Dimension * Math.Log(2 * Math.PI)).ToScalar();
        var precision = p.Variances.mul(a2).Plus_(s2).reciprocal_();
        var center = p.Means.mul(precision).mul_(a);
        // sum_d (alpha^2 mu^2 / v + log(2 pi v)) per component.
        var constant = p.Means.mul(center).sum(-1).mul_(a).sub_(precision.log().sum(-1)).Plus_(logTwoPi);
        var quadratic = precision.matmul(flat.Squared().t()).add_(center.matmul(flat.t()), minusTwo);
        // Responsibilities come from this by softmax (log-sum-exp), so far-away components give 0, not 0/0.
        var logJoint = quadratic.Plus_(constant.unsqueeze(1)).mul_(minusHalf).Plus_(p.LogWeights.unsqueeze(1));
        return new Terms(flat, precision, center, logJoint);
    }

    Tensor Flatten(Tensor x)
    {
        if (x.dim() < 1 || x.numel() != x.shape[0] * Dimension)
            throw new ArgumentException(
                $"a batch of shape [{string.Join(", ", x.shape)}] does not hold samples of {Dimension} values each (the mixture's dimension)", nameof(x));
        return x.reshape(x.shape[0], Dimension).to_type(float64);
    }

    public void Dispose() => _cache.Dispose();
}

readonly record struct Terms(Tensor X, Tensor Precision, Tensor Center, Tensor LogJoint)
{
    /// <summary>sum_k r_k (x - alpha mu_k) / v_k for per-sample weights r [K, B].</summary>
    public Tensor Weighted(Tensor r)
    {
        var rt = r.t();
        return X.mul(rt.matmul(Precision)).sub_(rt.matmul(Center));
    }
}
