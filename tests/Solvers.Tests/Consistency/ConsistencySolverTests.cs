using Pipeline.Models;
using Pipeline.Plugins.Schedules;
using Pipeline.Plugins.Solvers;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// The consistency sampler against Algorithm 1 of Song et al. (2023) written out by hand for a stand-in model, its
/// per-sample noise, and its refusals of bad level lists.
/// </summary>
public class ConsistencySolverTests
{
    /// <summary>A stand-in consistency function: x_0 = 0.5 tanh(x) + t, nonlinear in x and different at every time.</summary>
    sealed class StandIn(INoiseSchedule schedule) : IDenoiser
    {
        public List<double> Calls { get; } = [];

        public INoiseSchedule Schedule => schedule;

        public ModelOutput Predict(Tensor x, double t)
        {
            Calls.Add(t);
            using Scalar half = 0.5, time = t;
            var data = x.tanh().mul(half).Plus(time);
            var eps = PredictionConversion.EpsilonFromData(x, data, schedule.Alpha(t), schedule.Sigma(t));
            return new ModelOutput(eps, data);
        }

        public static double Data(double x, double t) => 0.5 * Math.Tanh(x) + t;
    }

    /// <summary>Per-sample seeded noise that keeps every draw, so the test can replay the run.</summary>
    sealed class RecordingNoise(long seed) : INoiseSource, IDisposable
    {
        readonly SeededNoise inner = new(seed);

        public List<double[]> Draws { get; } = [];

        public Tensor NormalLike(Tensor like)
        {
            var draw = inner.NormalLike(like);
            using var cpu = draw.to(float64).cpu().contiguous();
            Draws.Add(cpu.data<double>().ToArray());
            return draw;
        }

        public void Dispose() => inner.Dispose();
    }

    static Tensor Initial(int batch) => randn(batch, 3, float64, generator: new torch.Generator(11UL));

    [Theory]
    [InlineData(new[] { 1.0, 0.0 })]
    [InlineData(new[] { 1.0, 0.5, 0.0 })]
    [InlineData(new[] { 1.0, 0.7, 0.4, 0.0 })]
    [InlineData(new[] { 0.999, 0.8, 0.5, 0.2, 0.0 })]
    public void EachStepDenoisesThenRenoisesToTheNextLevel(double[] times)
    {
        INoiseSchedule schedule = new DiscreteLinearSchedule();
        var model = new StandIn(schedule);
        using var noise = new RecordingNoise(3);
        using var initial = Initial(5);
        var solver = new Consistency();
        Assert.Empty(solver.Check(schedule, times));
        using var x = solver.Sample(new SamplingContext { Model = model, Times = times, Initial = initial, Noise = noise });

        // One evaluation at every time but the final 0; one fresh draw for every re-noise level.
        Assert.Equal(times[..^1], model.Calls);
        Assert.Equal(times.Length - 2, noise.Draws.Count);
        Assert.Equal(times.Length - 1, ((ISolver)solver).Evaluations(times));

        // Algorithm 1 by hand: x = f(x_T, T); for each level tau: x_tau = alpha_tau x + sigma_tau z, x = f(x_tau, tau).
        var expected = initial.data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++) expected[i] = StandIn.Data(expected[i], times[0]);
        for (int n = 1; n < times.Length - 1; n++)
        {
            double tau = times[n], alpha = schedule.Alpha(tau), sigma = schedule.Sigma(tau);
            for (int i = 0; i < expected.Length; i++)
                expected[i] = StandIn.Data(alpha * expected[i] + sigma * noise.Draws[n - 1][i], tau);
        }
        var actual = x.data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-14);
    }

    [Fact]
    public void ASampleDoesNotDependOnItsBatch()
    {
        var schedule = new DiscreteLinearSchedule();
        double[] times = [1, 0.6, 0.3, 0];
        Tensor Run(Tensor initial, long seed)
        {
            using var noise = new SeededNoise(seed);
            return new Consistency().Sample(new SamplingContext { Model = new StandIn(schedule), Times = times, Initial = initial, Noise = noise });
        }
        using var all = Initial(6);
        using var first = all[..2];
        using var a = Run(all, 42);
        using var b = Run(first, 42);
        using var aFirst = a[..2];
        Assert.True(b.allclose(aFirst, rtol: 0, atol: 0), "a sample's result changed with the batch it ran in");
        using var c = Run(all, 43);
        Assert.False(a.allclose(c), "the noise source was not used");
    }

    [Fact]
    public void RefusesBadLevelLists()
    {
        var schedule = new DiscreteLinearSchedule();
        var solver = new Consistency();
        Assert.Contains(solver.Check(schedule, [1]), p => p.Contains("at least 1 step"));
        Assert.Contains(solver.Check(schedule, [1, 0.5]), p => p.Contains("end them at 0"));
        Assert.Contains(solver.Check(schedule, [1, 0.5, 0.7, 0]), p => p.Contains("strictly decreasing"));
        Assert.Contains(solver.Check(schedule, [1, 0.5, 0.5, 0]), p => p.Contains("strictly decreasing"));
        Assert.Contains(solver.Check(schedule, [1.5, 0.5, 0]), p => p.Contains("TMax"));
        Assert.Contains(solver.Check(schedule, [1, 1e-5, 0]), p => p.Contains("TMin"));
        Assert.Contains(solver.Check(schedule, [1, 0.5, -0.1]), p => p.Contains("< 0"));
    }
}
