using Pipeline.Models;
using Pipeline.Plugins.Models;
using Pipeline.Plugins.Schedules;
using Pipeline.Plugins.Solvers.Dpm;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Dpm;

/// <summary>
/// The model path the host builds, without the host: the gmm model plugin evaluated at the schedule's alpha and sigma, its
/// eps turned into eps and x_0 by <see cref="PredictionConversion"/>. Counts evaluations and refuses times below TMin.
/// </summary>
public sealed class PluginDenoiser(IDiffusionModel model, INoiseSchedule schedule) : IDenoiser
{
    public INoiseSchedule Schedule => schedule;

    public int Evaluations { get; private set; }

    public List<double> Times { get; } = [];

    public ModelOutput Predict(Tensor x, double t)
    {
        if (!(t >= schedule.TMin * (1 - 1e-9)))
            throw new InvalidOperationException($"model evaluated at t = {t}, below TMin = {schedule.TMin}");
        Evaluations++;
        Times.Add(t);
        double alpha = schedule.Alpha(t), sigma = schedule.Sigma(t);
        var raw = model.Forward(x, new ModelTime(t, alpha, sigma, t), null);
        return PredictionConversion.ToOutput(model.Prediction, x, raw, alpha, sigma);
    }
}

/// <summary>Solvers, schedules, mixtures and runs shared by the DPM-Solver tests.</summary>
public static class Dpm
{
    public static ISolver Solver(string name, DpmSolverOptions options) => name switch
    {
        "dpm-solver" => new DpmSolver(options),
        "dpm-solver++" => new DpmSolverPlusPlus(options),
        _ => throw new ArgumentException(name),
    };

    public static DpmSolverOptions Options(DpmSolverMethod method, int order, DpmSolverType type = DpmSolverType.Midpoint,
        bool lowerOrderFinal = true) =>
        new() { Method = method, Order = order, SolverType = type, LowerOrderFinal = lowerOrderFinal };

    /// <summary>Three components in <paramref name="dimension"/> dimensions: weights 0.5/0.3/0.2, stds 0.3/0.55/0.8, means in [-1, 1]^D.</summary>
    public static GaussianMixtureModel Mixture(int dimension, int seed = 7)
    {
        var rng = new Random(seed);
        double[][] means = Enumerable.Range(0, 3)
            .Select(_ => Enumerable.Range(0, dimension).Select(_ => 2 * rng.NextDouble() - 1).ToArray()).ToArray();
        return new GaussianMixtureModel(new GaussianMixtureOptions
        {
            Weights = [0.5, 0.3, 0.2], Means = means, Stds = [[0.3], [0.55], [0.8]],
        });
    }

    public static VpLinearSchedule VpLinear() => new(new VpLinearScheduleOptions());

    public static DiscreteSchedule DiscreteLinear() => new(new DiscreteScheduleOptions());

    /// <summary>n + 1 times uniform in lambda from t0 to t1 (the logsnr-uniform plugin).</summary>
    public static double[] LogSnrTimes(INoiseSchedule schedule, double t0, double t1, int n) =>
        new LogSnrUniform(new TimeRangeOptions { Steps = n, TStart = t0, TEnd = t1 }).Times(schedule);

    /// <summary>n + 1 times uniform in t from t0 to t1 (the time-uniform plugin; t1 may be 0).</summary>
    public static double[] UniformTimes(INoiseSchedule schedule, double t0, double t1, int n) =>
        new TimeUniform(new TimeRangeOptions { Steps = n, TStart = t0, TEnd = t1 }).Times(schedule);

    public static Tensor Noise(int batch, int dimension, ulong seed, ScalarType dtype = ScalarType.Float64)
    {
        using var gen = new Generator(seed);
        using var z = randn([batch, dimension], float64, generator: gen);
        return z.to_type(dtype);
    }

    public static (Tensor X, PluginDenoiser Model) Run(ISolver solver, GaussianMixtureModel mixture, INoiseSchedule schedule,
        Tensor initial, IReadOnlyList<double> times, INoiseSource? noise = null, ISamplingObserver? observer = null)
    {
        var problems = solver.Check(schedule, times).ToList();
        Assert.True(problems.Count == 0, string.Join("; ", problems));
        var model = new PluginDenoiser(mixture, schedule);
        var context = new SamplingContext
        {
            Model = model, Times = times, Initial = initial, Noise = noise ?? new NoNoise(), Observer = observer,
        };
        return (solver.Sample(context), model);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a.to_type(float64) - b.to_type(float64)).abs().max();
        return d.item<double>();
    }

    /// <summary>For deterministic solvers: any draw is a bug.</summary>
    public sealed class NoNoise : INoiseSource
    {
        public Tensor NormalLike(Tensor like) => throw new InvalidOperationException("a deterministic solver drew noise");
    }
}
