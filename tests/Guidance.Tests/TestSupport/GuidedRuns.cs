using Pipeline.Host.Runtime;
using Pipeline.Plugins.Models;
using Pipeline.Sampling;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.TestSupport;

/// <summary>Runs a solver on a guided denoiser with fixed labels, and measures the samples against the mixture.</summary>
public static class GuidedRuns
{
    public static Tensor Run(ISolver solver, IConditionalDenoiser guided, IReadOnlyList<double> times, Tensor initial, long[] labels)
    {
        Assert.Empty(solver.Check(guided.Schedule, times));
        using var labelTensor = tensor(labels);
        using var denoiser = new RunDenoiser(guided, new Conditioning(labelTensor));
        var x = solver.Sample(new SamplingContext { Model = denoiser, Times = times, Initial = initial, Noise = new NoNoise() });
        // Its own scope: the host's check leaves a temporary in the caller's scope (the runner's per-batch scope).
        using (NewDisposeScope()) Assert.Null(denoiser.FirstNonFinite());
        return x;
    }

    public static Tensor Noise(long n, int dimension, ulong seed) =>
        randn([n, dimension], float64, generator: new Generator(seed));

    /// <summary>Fraction of samples whose exact posterior under the mixture at (alpha, sigma) is largest for component k.</summary>
    public static double Purity(GaussianMixture mixture, Tensor x, int k, double alpha, double sigma)
    {
        using var posterior = mixture.Responsibilities(x, alpha, sigma);
        using var argmax = posterior.argmax(1);
        using TorchSharp.Scalar component = (long)k;
        using var hits = argmax.eq(component).to_type(float64).mean();
        return hits.item<double>();
    }

    /// <summary>Per-dimension sample mean and (unbiased) variance.</summary>
    public static (double[] Mean, double[] Variance) Moments(Tensor x)
    {
        using var d = x.to_type(float64);
        using var mean = d.mean([0]);
        using var variance = d.var(0);
        return (mean.data<double>().ToArray(), variance.data<double>().ToArray());
    }

    sealed class NoNoise : INoiseSource
    {
        public Tensor NormalLike(Tensor like) => throw new InvalidOperationException("a deterministic solver drew noise");
    }
}
