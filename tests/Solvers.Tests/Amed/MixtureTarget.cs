using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using static TorchSharp.torch;

namespace Pipeline.Tests.Amed;

/// <summary>
/// An optimization target over the analytic mixture, as the host's would be: float64 noise drawn from a seed, the exact
/// mixture as the model, and a score that is the RMSE against the exact probability flow at the last time.
/// </summary>
public sealed class MixtureTarget : IOptimizationTarget, IDisposable
{
    readonly Tensor noise;
    Tensor? exact;

    public MixtureTarget(GaussianMixture mixture, INoiseSchedule schedule, IReadOnlyList<double> times, int count, long seed, int batchSize = 128)
    {
        Mixture = mixture;
        Schedule = schedule;
        Times = times;
        Count = count;
        BatchSize = batchSize;
        using var generator = new Generator((ulong)seed);
        noise = randn([count, mixture.Dimension], float64, generator: generator);
    }

    public GaussianMixture Mixture { get; }
    public RunEnvironment Environment => RunEnvironment.Cpu;
    public IDiffusionModel Model => throw new NotSupportedException("the mixture target runs through its denoiser");
    public INoiseSchedule Schedule { get; }
    public ISolver Solver => throw new NotSupportedException();
    public IReadOnlyList<double> Times { get; }
    public long[] SampleShape => [Mixture.Dimension];
    public int Count { get; }
    public int BatchSize { get; }

    /// <summary>Model evaluations made through <see cref="Denoiser"/>.</summary>
    public int Evaluations { get; private set; }

    public Tensor InitialNoise(int start, int count) => noise.narrow(0, start, count).clone();

    public Tensor? Labels(int start, int count) => null;

    public IDenoiser Denoiser(Tensor? labels) => new Counting(this, new MixtureDenoiser(Mixture, Schedule));

    public INoiseSource Noise(int start, int count) => new SeededNoise(start);

    /// <summary>The exact flow from t_0 to the last time of <see cref="Times"/> for every sample, computed once.</summary>
    public Tensor Exact => exact ??= ExactFlow.Solve(Mixture, Schedule, noise, Times[0], Times[^1]);

    /// <summary>RMSE of <paramref name="solver"/> at <paramref name="times"/> (same ends as <see cref="Times"/>) against the exact flow.</summary>
    public double Error(ISolver solver, IReadOnlyList<double> times)
    {
        Assert.Equal(Times[0], times[0]);
        Assert.Equal(Times[^1], times[^1]);
        var (x, model) = Harness.Run(solver, Mixture, Schedule, noise, times);
        using (x)
        {
            Assert.Equal(solver.Evaluations(times), model.Evaluations);
            return Harness.Rmse(x, Exact);
        }
    }

    public TargetScore Score(IReadOnlyList<double> times, ISolver? solver = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(solver);
        double error = Error(solver, times);
        return new TargetScore(error, new Dictionary<string, double> { ["rmse"] = error }, solver.Evaluations(times), 0);
    }

    public void Dispose()
    {
        noise.Dispose();
        exact?.Dispose();
    }

    sealed class Counting(MixtureTarget owner, IDenoiser inner) : IDenoiser
    {
        public INoiseSchedule Schedule => inner.Schedule;

        public ModelOutput Predict(Tensor x, double t)
        {
            owner.Evaluations++;
            return inner.Predict(x, t);
        }

        public ModelOutput Predict(Tensor x, IReadOnlyList<double> times)
        {
            owner.Evaluations++;
            return inner.Predict(x, times);
        }
    }
}
