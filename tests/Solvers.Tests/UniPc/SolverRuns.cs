using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.UniPc;

/// <summary>Runs shared by the UniPC and DEIS contract tests: the schedules and endings, finiteness, counts and leaks.</summary>
public static class SolverRuns
{
    public static readonly string[] ScheduleNames = ["discrete", "vp-linear", "ve"];

    public static INoiseSchedule Schedule(string name) => name switch
    {
        "discrete" => MultistepOracle.DiscreteLinear(),
        "vp-linear" => MultistepOracle.VpLinear(),
        _ => new VeSchedule(),
    };

    static readonly Pipeline.Tests.TestSupport.GaussianMixture Mixture = Harness.Mixture(3);

    /// <summary>Times from TMax to 0 (uniform in t) or to TMin (uniform in log-SNR).</summary>
    public static double[] Times(INoiseSchedule schedule, int steps, bool toZero) => toZero
        ? Harness.UniformTimes(schedule.TMax, 0, steps)
        : Harness.LogSnrTimes(schedule, schedule.TMax, schedule.TMin, steps);

    public static Tensor Initial(INoiseSchedule schedule, int batch = 4, long seed = 1)
    {
        using var gen = new Generator((ulong)seed);
        using var z = randn([batch, 3], float64, generator: gen);
        return z * Math.Max(1.0, schedule.Sigma(schedule.TMax));
    }

    /// <summary>
    /// One run: returns null when it is fine (Check passed, finite output of the right shape, x_T untouched, evaluations
    /// as reported) and the problem otherwise; a Check refusal is returned as "refused: ...".
    /// </summary>
    public static string? Problem(ISolver solver, INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        var refusal = solver.Check(schedule, times).FirstOrDefault();
        if (refusal is not null) return "refused: " + refusal;
        using var xT = Initial(schedule);
        using var copy = xT.clone();
        var model = new MixtureDenoiser(Mixture, schedule);
        var context = new SamplingContext { Model = model, Times = times, Initial = xT, Noise = new NoDraws() };
        using var x = solver.Sample(context);
        if (!x.isfinite().all().item<bool>()) return "non-finite output";
        if (!x.shape.SequenceEqual(xT.shape)) return "wrong shape";
        if (!Harness.SameBits(xT, copy)) return "modified the initial state";
        if (solver.Evaluations(times) != model.Evaluations)
            return $"reported {solver.Evaluations(times)} evaluations, made {model.Evaluations}";
        return null;
    }

    /// <summary>Live tensors left behind by a run (the result disposed), after a warm-up run.</summary>
    public static long Leaked(Func<ISolver> solver, INoiseSchedule schedule, int steps, bool toZero, bool outerScope = false)
    {
        var times = Times(schedule, steps, toZero);
        using var xT = Initial(schedule);
        var context = new SamplingContext { Model = new MixtureDenoiser(Mixture, schedule), Times = times, Initial = xT, Noise = new NoDraws() };
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        if (outerScope)
        {
            using var outer = NewDisposeScope();
            solver().Sample(context);
            // The run leaves only its result in the caller's scope.
            Assert.Equal(1, outer.DisposablesCount);
        }
        else solver().Sample(context).Dispose();
        return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
    }

    sealed class NoDraws : Pipeline.Sampling.INoiseSource
    {
        public Tensor NormalLike(Tensor like) => throw new InvalidOperationException("a deterministic solver drew noise");
    }
}
