using Pipeline.Schedules;
using Pipeline.Sampling;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.TestSupport;

/// <summary>Shared set-ups: mixtures, time grids, and one solver run with its evaluation count.</summary>
public static class Harness
{
    /// <summary>Three components in <paramref name="dimension"/> dimensions, stds 0.3 .. 0.8, unequal weights.</summary>
    public static GaussianMixture Mixture(int dimension, double separation = 1.0)
    {
        var rng = new Random(7);
        double[][] means = Enumerable.Range(0, 3)
            .Select(k => Enumerable.Range(0, dimension).Select(_ => separation * (2 * rng.NextDouble() - 1)).ToArray())
            .ToArray();
        return new GaussianMixture([0.5, 0.3, 0.2], means, [0.3, 0.55, 0.8]);
    }

    /// <summary>n + 1 times uniform in t from t0 down to t1.</summary>
    public static double[] UniformTimes(double t0, double t1, int n) =>
        Enumerable.Range(0, n + 1).Select(i => i == n ? t1 : t0 + (t1 - t0) * i / n).ToArray();

    /// <summary>n + 1 times uniform in lambda from t0 down to t1 (&gt; 0).</summary>
    public static double[] LogSnrTimes(INoiseSchedule schedule, double t0, double t1, int n)
    {
        double l0 = schedule.Lambda(t0), l1 = schedule.Lambda(t1);
        return Enumerable.Range(0, n + 1)
            .Select(i => i == 0 ? t0 : i == n ? t1 : schedule.TimeOfLambda(l0 + (l1 - l0) * i / n)).ToArray();
    }

    public static (Tensor X, MixtureDenoiser Model) Run(ISolver solver, GaussianMixture mixture, INoiseSchedule schedule,
        Tensor initial, IReadOnlyList<double> times, INoiseSource? noise = null, ISamplingObserver? observer = null)
    {
        var model = new MixtureDenoiser(mixture, schedule);
        Assert.Empty(solver.Check(schedule, times));
        var context = new SamplingContext
        {
            Model = model, Times = times, Initial = initial, Noise = noise ?? new NoNoise(), Observer = observer,
        };
        return (solver.Sample(context), model);
    }

    public static double Rmse(Tensor a, Tensor b)
    {
        using var d = a.to_type(float64) - b.to_type(float64);
        using var sq = d.Squared().mean();
        return Math.Sqrt(sq.item<double>());
    }

    /// <summary>Same shape, type and bytes.</summary>
    public static bool SameBits(Tensor a, Tensor b)
    {
        using var ca = a.cpu().contiguous();
        using var cb = b.cpu().contiguous();
        return ca.dtype == cb.dtype && ca.shape.SequenceEqual(cb.shape) && ca.bytes.SequenceEqual(cb.bytes);
    }

    /// <summary>For deterministic solvers: any draw is a bug.</summary>
    sealed class NoNoise : INoiseSource
    {
        public Tensor NormalLike(Tensor like) => throw new InvalidOperationException("a deterministic solver drew noise");
    }
}
