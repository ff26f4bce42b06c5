using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Plugins.Models;
using Pipeline.Plugins.Schedules;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>The mixtures, schedule and plumbing the optimizer tests share; float64 on the CPU throughout.</summary>
public static class Setup
{
    /// <summary>The 8-D three-component mixture of examples/gmm-8d.json.</summary>
    public static GaussianMixtureModel Mixture8D() => new(new GaussianMixtureOptions
    {
        Weights = [0.3, 0.45, 0.25],
        Means =
        [
            [1.5, -1.0, 0.5, 2.0, -0.5, 1.0, 0.0, -1.5],
            [-1.0, 1.5, -0.5, -1.5, 1.0, 0.0, 0.5, 1.0],
            [0.0, 0.0, 2.0, 0.5, -2.0, -1.0, 1.5, 0.0],
        ],
        Stds = [[0.3], [0.8, 0.5, 0.6, 0.4, 0.7, 0.5, 0.3, 0.6], [0.5]],
    });

    /// <summary>One diagonal Gaussian N(mu, diag(s^2)) in 3-D, whose Gamma(t) has a closed form.</summary>
    public static GaussianMixtureModel OneGaussian(double[] mean, double[] stds) =>
        new(new GaussianMixtureOptions { Weights = [1.0], Means = [mean], Stds = [stds] });

    /// <summary>DDPM's linear betas on 1000 steps.</summary>
    public static INoiseSchedule Discrete() => new DiscreteSchedule(new DiscreteScheduleOptions());

    /// <summary>n + 1 times uniform in t from TMax down to 0 (the last step lands on clean data).</summary>
    public static double[] UniformTimes(INoiseSchedule schedule, int steps) =>
        Enumerable.Range(0, steps + 1).Select(i => i == steps ? 0.0 : schedule.TMax * (steps - i) / steps).ToArray();

    public static Tensor Initial(int count, int dimension, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn([count, dimension], float64, generator: generator);
    }

    public static Tensor Run(ISolver solver, IDiffusionModel model, INoiseSchedule schedule, Tensor initial,
        IReadOnlyList<double> times, long noiseSeed = 11, ISamplingObserver? observer = null)
    {
        Assert.Empty(solver.Check(schedule, times));
        using var noise = new BatchNoise(noiseSeed);
        return solver.Sample(new SamplingContext
        {
            Model = new ModelDenoiser(model, schedule), Times = times, Initial = initial, Noise = noise, Observer = observer,
        });
    }

    public static bool SameBits(Tensor a, Tensor b)
    {
        using var ca = a.contiguous();
        using var cb = b.contiguous();
        return ca.dtype == cb.dtype && ca.shape.SequenceEqual(cb.shape) && ca.bytes.SequenceEqual(cb.bytes);
    }

    public static double Rmse(Tensor a, Tensor b)
    {
        using var d = a.sub(b);
        using var sq = d.Squared().mean();
        return Math.Sqrt(sq.item<double>());
    }
}

/// <summary>A model as a solver sees it: eps and x_0 at (x, t), labels bound.</summary>
public sealed class ModelDenoiser(IDiffusionModel model, INoiseSchedule schedule, Tensor? labels = null) : IDenoiser
{
    public INoiseSchedule Schedule => schedule;

    /// <summary>Model calls made so far.</summary>
    public int Evaluations { get; private set; }

    public ModelOutput Predict(Tensor x, double t)
    {
        Evaluations++;
        double alpha = schedule.Alpha(t), sigma = schedule.Sigma(t);
        // Not disposed here: for an eps model the output holds the raw prediction itself.
        var raw = model.Forward(x, new ModelTime(t, alpha, sigma, t), labels);
        return PredictionConversion.ToOutput(model.Prediction, x, raw, alpha, sigma);
    }
}

/// <summary>One generator for the whole batch (the tests never vary the batch size).</summary>
public sealed class BatchNoise(long seed) : INoiseSource, IDisposable
{
    readonly Generator generator = new((ulong)seed);

    public Tensor NormalLike(Tensor like)
    {
        using var z = randn(like.shape, float64, generator: generator);
        return z.to(like.dtype, like.device);
    }

    public void Dispose() => generator.Dispose();
}

/// <summary>Just enough of a pipeline for the analytic-dpm estimate: model, schedule, times, batch size.</summary>
public sealed class MixtureTarget(IDiffusionModel model, INoiseSchedule schedule, IReadOnlyList<double> times, int batchSize = 4096)
    : IOptimizationTarget
{
    public RunEnvironment Environment { get; } = new(CPU, ScalarType.Float64, Directory.GetCurrentDirectory());
    public IDiffusionModel Model => model;
    public INoiseSchedule Schedule => schedule;
    public ISolver Solver => throw new NotSupportedException();
    public IReadOnlyList<double> Times => times;
    public long[] SampleShape => model.SampleShape!;
    public int Count => batchSize;
    public int BatchSize => batchSize;
    public Tensor InitialNoise(int start, int count) => throw new NotSupportedException();
    public Tensor? Labels(int start, int count) => null;
    public IDenoiser Denoiser(Tensor? labels) => new ModelDenoiser(model, schedule, labels);
    public INoiseSource Noise(int start, int count) => throw new NotSupportedException();
    public TargetScore Score(IReadOnlyList<double> times, ISolver? solver = null, CancellationToken cancellation = default) =>
        throw new NotSupportedException();
}

/// <summary>A temporary folder removed on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "optimizers-tests-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
