using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Metrics;
using Pipeline.Options;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Plugins.Models.Metrics;

[Plugin(PluginKinds.Metric, "gmm-distance", Aliases = "mixture-distance,moment-error",
    Summary = "Distance of the samples to the exact mixture: mean and covariance error against its exact moments, and a sliced Wasserstein-2 distance (gmm model only)")]
public sealed class MixtureDistanceExport : PluginExport<MixtureDistance, MixtureDistanceOptions>;

public sealed class MixtureDistanceOptions
{
    [Description("random directions of the sliced Wasserstein distance"), Range(1, 100_000)]
    public int Projections { get; set; } = 128;

    [Description("seed of the directions and of the exact reference draws")]
    public long Seed { get; set; }
}

/// <summary>
/// How far a stochastic sampler's samples are from the distribution they should follow, for the analytic mixture:
/// <list type="bullet">
/// <item>moment-error (headline) = sqrt(|m - mu|^2 + |C - Sigma|_F^2), with m, C the samples' mean and covariance and
/// mu, Sigma the exact ones (Sigma = sum_k w_k (diag(s_k^2) + mu_k mu_k^T) - mu mu^T), so it has no reference-sample
/// noise: only the samples' own, about sqrt(tr Sigma / N) for the mean;</item>
/// <item>mean-error and cov-error, its two parts;</item>
/// <item>sliced-w2: the root mean over random unit directions of the squared 1-D Wasserstein-2 distance between the
/// projected samples and as many exact draws (sorted quantiles), which also sees the mixture's shape beyond two moments.</item>
/// </list>
/// With per-sample labels on a conditional mixture, each sample's target is its own component (the whole mixture for
/// the null label -1) and the exact moments are those of that pooled population.
/// </summary>
public sealed class MixtureDistance(MixtureDistanceOptions options) : IMergeableMetric
{
    public IEnumerable<string> Check(MetricPlan plan)
    {
        if (plan.Model.Model is not GaussianMixtureModel)
            yield return "the gmm-distance metric needs the analytic 'gmm' model; use another metric for other models";
    }

    public IReadOnlyDictionary<string, double> Score(MetricContext context)
    {
        var gmm = Analytic(context.Model);
        var mixture = gmm.Mixture;
        int n = (int)context.Samples.shape[0], dim = mixture.Dimension;
        var components = Components(context.Labels, gmm, n);

        using var scope = NewDisposeScope();
        var x = context.Samples.to(float64).cpu().reshape(n, dim);
        var (mean, covariance) = ExactMoments(mixture, ComponentCounts(components, mixture.Components));
        var sampleMean = x.mean([0]);
        var centred = x.sub(sampleMean);
        using Scalar degrees = (double)Math.Max(n - 1, 1);
        var sampleCovariance = centred.t().matmul(centred).div_(degrees);
        double meanError = sampleMean.sub(mean).Squared().sum().item<double>();
        double covError = sampleCovariance.sub(covariance).Squared().sum().item<double>();

        using var generator = new Generator(unchecked((ulong)options.Seed));
        var reference = Draw(mixture, components, generator);
        var directions = randn([dim, options.Projections], float64, generator: generator);
        directions.div_(directions.Squared().sum([0], keepdim: true).sqrt_());
        var a = x.matmul(directions).sort(0).Values;
        var b = reference.matmul(directions).sort(0).Values;
        double sliced = Math.Sqrt(a.sub(b).Squared().mean().item<double>());

        return new Dictionary<string, double>
        {
            ["moment-error"] = Math.Sqrt(meanError + covError),
            ["mean-error"] = Math.Sqrt(meanError),
            ["cov-error"] = Math.Sqrt(covError),
            ["sliced-w2"] = sliced,
        };
    }

    /// <summary>
    /// The sums of the moment scores, for shards of a run: the samples' moment sums ("sample-*", <see cref="MomentSums"/>)
    /// and how many samples target the whole mixture (entry 0) and each component k (entry k + 1).
    /// </summary>
    public MetricStatistics Accumulate(MetricContext context)
    {
        var gmm = Analytic(context.Model);
        int n = (int)context.Samples.shape[0], dim = gmm.Mixture.Dimension;
        using var x = context.Samples.reshape(n, dim);
        var statistics = MomentSums.Add(new MetricStatistics(), "sample", x);
        return statistics.Set("component-count", ComponentCounts(Components(context.Labels, gmm, n), gmm.Mixture.Components));
    }

    /// <summary>moment-error, mean-error and cov-error from the added sums; sliced-w2 needs the sorted samples themselves and is left out.</summary>
    public IReadOnlyDictionary<string, double> Score(MetricStatistics statistics, MetricPlan plan)
    {
        var gmm = Analytic(plan.Model);
        using var scope = NewDisposeScope();
        var (sampleMean, sampleCovariance) = MomentSums.Moments(statistics, "sample");
        var (mean, covariance) = ExactMoments(gmm.Mixture, statistics["component-count"]);
        double meanError = sampleMean.sub(mean).Squared().sum().item<double>();
        double covError = sampleCovariance.sub(covariance).Squared().sum().item<double>();
        return new Dictionary<string, double>
        {
            ["moment-error"] = Math.Sqrt(meanError + covError),
            ["mean-error"] = Math.Sqrt(meanError),
            ["cov-error"] = Math.Sqrt(covError),
        };
    }

    /// <summary>Entry 0: samples targeting the whole mixture; entry k + 1: samples targeting component k.</summary>
    static double[] ComponentCounts(int[] components, int kCount)
    {
        var counts = new double[kCount + 1];
        foreach (int c in components) counts[c + 1] += 1;
        return counts;
    }

    static GaussianMixtureModel Analytic(Sampling.IConditionalDenoiser model) => model.Model as GaussianMixtureModel
        ?? throw new PipelineInputException("the gmm-distance metric needs the analytic 'gmm' model; use another metric for other models", "$.model");

    /// <summary>Each sample's target component, or -1 for the whole mixture.</summary>
    static int[] Components(Tensor? labels, GaussianMixtureModel gmm, int n)
    {
        if (labels is null || gmm.Classes is null) return Enumerable.Repeat(-1, n).ToArray();
        using var cpu = labels.to(int64).cpu();
        return cpu.data<long>().Select(l => (int)l).ToArray();
    }

    /// <summary>Mean and covariance of the population whose samples follow their components (or the mixture), counted as <see cref="ComponentCounts"/>.</summary>
    static (Tensor Mean, Tensor Covariance) ExactMoments(GaussianMixture mixture, double[] counts)
    {
        int dim = mixture.Dimension, kCount = mixture.Components;
        double n = counts.Sum();
        // Weight of each component in the pooled population.
        var weights = new double[kCount];
        for (int k = 0; k < kCount; k++) weights[k] = (counts[0] * mixture.Weights[k] + counts[k + 1]) / n;
        var mean = new double[dim];
        var second = new double[dim, dim];
        for (int k = 0; k < kCount; k++)
        {
            var mu = mixture.Mean(k);
            var sd = mixture.Std(k);
            for (int i = 0; i < dim; i++)
            {
                mean[i] += weights[k] * mu[i];
                for (int j = 0; j < dim; j++) second[i, j] += weights[k] * (mu[i] * mu[j] + (i == j ? sd[i] * sd[i] : 0));
            }
        }
        var covariance = new double[dim * dim];
        for (int i = 0; i < dim; i++)
            for (int j = 0; j < dim; j++) covariance[i * dim + j] = second[i, j] - mean[i] * mean[j];
        return (tensor(mean, float64), tensor(covariance, [dim, dim], float64));
    }

    /// <summary>One exact draw per sample from its target.</summary>
    static Tensor Draw(GaussianMixture mixture, int[] components, Generator generator)
    {
        int n = components.Length, dim = mixture.Dimension;
        using var weights = tensor(mixture.Weights.ToArray(), float64);
        using var mixed = weights.multinomial(n, replacement: true, generator: generator);
        var chosen = mixed.data<long>().ToArray();
        var means = new double[n * dim];
        var stds = new double[n * dim];
        for (int i = 0; i < n; i++)
        {
            int k = components[i] >= 0 ? components[i] : (int)chosen[i];
            mixture.Mean(k).CopyTo(means, i * dim);
            mixture.Std(k).CopyTo(stds, i * dim);
        }
        using var z = randn([n, dim], float64, generator: generator);
        using var m = tensor(means, [n, dim], float64);
        using var s = tensor(stds, [n, dim], float64);
        return m.Plus(z.mul(s));
    }
}
