using Pipeline.Plugins.Solvers;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>What every solver owes the host: determinism, finiteness, honest checks and NFE counts, no leaks.</summary>
public class SolverContractTests
{
    static ISolver Create(string name) => name switch
    {
        "ddpm" => new Ddpm(new DdpmOptions()),
        "ddpm-beta" => new Ddpm(new DdpmOptions { Variance = DdpmVariance.Beta }),
        "ddim" => new Ddim(new DdimOptions()),
        "ddim-eta-0.5" => new Ddim(new DdimOptions { Eta = 0.5 }),
        "ddim-eta-1" => new Ddim(new DdimOptions { Eta = 1 }),
        "euler-maruyama" => new EulerMaruyama(new EulerMaruyamaOptions()),
        "euler-maruyama-no-denoise" => new EulerMaruyama(new EulerMaruyamaOptions { DenoiseLast = false }),
        "pf-ode-euler" => new ProbabilityFlowOde(new ProbabilityFlowOdeOptions { Method = OdeMethod.Euler }),
        "pf-ode-heun" => new ProbabilityFlowOde(new ProbabilityFlowOdeOptions { Method = OdeMethod.Heun }),
        _ => throw new ArgumentException(name),
    };

    static readonly string[] AllSolvers =
        ["ddpm", "ddpm-beta", "ddim", "ddim-eta-0.5", "ddim-eta-1", "euler-maruyama", "euler-maruyama-no-denoise", "pf-ode-euler", "pf-ode-heun"];

    static readonly string[] Stochastic = ["ddpm", "ddpm-beta", "ddim-eta-0.5", "ddim-eta-1", "euler-maruyama", "euler-maruyama-no-denoise"];

    public static TheoryData<string> Solvers => new(AllSolvers);
    public static TheoryData<string> StochasticSolvers => new(Stochastic);

    static INoiseSchedule Schedule(string name) => name switch
    {
        "discrete" => new DiscreteLinearSchedule(),
        "continuous" => new ContinuousVpLinearSchedule(),
        _ => new VeSchedule(),
    };

    static readonly GaussianMixture Mixture = Harness.Mixture(3);

    static Tensor Initial(INoiseSchedule schedule, int batch = 8, long seed = 1)
    {
        using var gen = new Generator((ulong)seed);
        using var z = randn([batch, 3], float64, generator: gen);
        return z * (schedule.Sigma(schedule.TMax) / schedule.Alpha(schedule.TMax) > 1 ? schedule.Sigma(schedule.TMax) : 1.0);
    }

    /// <summary>Times from TMax to the end: 0, or TMin.</summary>
    static double[] Times(INoiseSchedule schedule, int steps, bool toZero) => toZero
        ? Harness.UniformTimes(schedule.TMax, 0, steps)
        : Harness.LogSnrTimes(schedule, schedule.TMax, schedule.TMin, steps);

    [Theory]
    [MemberData(nameof(StochasticSolvers))]
    public void SameSeedGivesIdenticalBitsAndSamplesDoNotDependOnTheirBatch(string name)
    {
        var schedule = Schedule("discrete");
        var times = Times(schedule, 10, toZero: true);
        using var xT = Initial(schedule);
        Tensor RunOnce(Tensor initial)
        {
            using var noise = new SeededNoise(42);
            return Harness.Run(Create(name), Mixture, schedule, initial, times, noise).X;
        }
        using var a = RunOnce(xT);
        using var b = RunOnce(xT);
        Assert.True(Harness.SameBits(a, b), "two runs with the same seed differ");

        using var firstHalf = xT[..4];
        using var c = RunOnce(firstHalf);
        using var aHalf = a[..4];
        Assert.True(c.allclose(aHalf, rtol: 0, atol: 1e-12), "a sample's result changed with the batch it ran in");

        using var otherSeed = new SeededNoise(43);
        using var d = Harness.Run(Create(name), Mixture, schedule, xT, times, otherSeed).X;
        Assert.False(a.allclose(d), "the noise source was not used");
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void OneAndTwoStepsGiveFiniteSamplesAndDoNotTouchTheInitialState(string name)
    {
        foreach (string scheduleName in new[] { "discrete", "continuous", "ve" })
        {
            var schedule = Schedule(scheduleName);
            if (Create(name).Check(schedule, [schedule.TMax, 0]).Any()) continue;   // ddpm on VE: refused, tested below
            foreach (int steps in new[] { 1, 2 })
                foreach (bool toZero in new[] { true, false })
                {
                    using var xT = Initial(schedule);
                    using var copy = xT.clone();
                    using var noise = new SeededNoise(3);
                    var (x, _) = Harness.Run(Create(name), Mixture, schedule, xT, Times(schedule, steps, toZero), noise);
                    using (x)
                    {
                        Assert.True(x.isfinite().all().item<bool>(), $"{name} on {scheduleName}, {steps} step(s) to {(toZero ? "0" : "TMin")}: non-finite output");
                        Assert.Equal(xT.shape, x.shape);
                        Assert.True(Harness.SameBits(xT, copy), $"{name} modified the initial state");
                    }
                }
        }
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void EvaluationsEqualsTheCountedModelCalls(string name)
    {
        var schedule = Schedule("discrete");
        foreach (int steps in new[] { 1, 2, 7 })
            foreach (bool toZero in new[] { true, false })
            {
                var times = Times(schedule, steps, toZero);
                using var xT = Initial(schedule);
                using var noise = new SeededNoise(5);
                var solver = Create(name);
                var (x, model) = Harness.Run(solver, Mixture, schedule, xT, times, noise);
                x.Dispose();
                Assert.Equal(solver.Evaluations(times), model.Evaluations);
            }
    }

    [Fact]
    public void HeunCostsTwoEvaluationsPerStepExceptIntoZero()
    {
        var heun = Create("pf-ode-heun");
        Assert.Equal(10, heun.Evaluations([1, 0.8, 0.6, 0.4, 0.2, 0.1]));
        Assert.Equal(9, heun.Evaluations([1, 0.8, 0.6, 0.4, 0.2, 0]));
        Assert.Equal(1, heun.Evaluations([1, 0]));
    }

    [Fact]
    public void ObserverSeesEveryStepAndTheResult()
    {
        var schedule = Schedule("discrete");
        var times = Times(schedule, 6, toZero: true);
        using var xT = Initial(schedule);
        var observer = new StepRecorder();
        var (x, _) = Harness.Run(Create("ddim"), Mixture, schedule, xT, times, observer: observer);
        using (x)
        {
            Assert.Equal(Enumerable.Range(0, 6), observer.Steps.Select(s => s.Step));
            Assert.Equal(times[..^1], observer.Steps.Select(s => s.TFrom));
            Assert.Equal(times[1..], observer.Steps.Select(s => s.TTo));
            Assert.True(Harness.SameBits(observer.Last!, x));
        }
        observer.Last!.Dispose();
    }

    [Fact]
    public void CancellationStopsTheRun()
    {
        var schedule = Schedule("discrete");
        using var cts = new CancellationTokenSource();
        var model = new MixtureDenoiser(Mixture, schedule);
        using var xT = Initial(schedule);
        var context = new SamplingContext
        {
            Model = model, Times = Times(schedule, 10, true), Initial = xT, Noise = new SeededNoise(1),
            Observer = new CancelAfter(3, cts), Cancellation = cts.Token,
        };
        Assert.Throws<OperationCanceledException>(() => Create("ddpm").Sample(context));
        Assert.Equal(3, model.Evaluations);
    }

    sealed class CancelAfter(int steps, CancellationTokenSource cts) : ISamplingObserver
    {
        public void OnStep(in StepInfo step) { if (step.Step + 1 == steps) cts.Cancel(); }
    }

    [Fact]
    public void DdpmRefusesAVarianceExplodingSchedule()
    {
        INoiseSchedule ve = new VeSchedule();
        var problems = Create("ddpm").Check(ve, Times(ve, 10, toZero: true)).ToList();
        Assert.Single(problems);
        Assert.Contains("variance-preserving", problems[0]);
        Assert.Contains("ddim", problems[0]);
        Assert.Empty(Create("ddpm").Check(new DiscreteLinearSchedule(), Times(new DiscreteLinearSchedule(), 10, toZero: true)));
        Assert.Empty(Create("ddim-eta-1").Check(ve, Times(ve, 10, toZero: true)));
    }

    [Fact]
    public void ChecksRejectImpossibleTimes()
    {
        INoiseSchedule schedule = new DiscreteLinearSchedule();
        var heun = Create("pf-ode-heun");
        Assert.Contains("at least 1 step", Assert.Single(heun.Check(schedule, [1.0])));
        Assert.Contains("at least 1 step", Assert.Single(Create("ddim").Check(schedule, [])));
        // Heun evaluates at its final time: 0 is fine (Euler there), TMin too, anything in between is not.
        Assert.Empty(heun.Check(schedule, [1.0, 0.5, 0]));
        Assert.Empty(heun.Check(schedule, [1.0, 0.5, schedule.TMin]));
        Assert.Contains("final time", Assert.Single(heun.Check(schedule, [1.0, 0.5, schedule.TMin / 2])));
        Assert.Empty(Create("pf-ode-euler").Check(schedule, [1.0, 0.5, schedule.TMin / 2]));
        // Everyone: decreasing times, no evaluation below TMin or above TMax.
        foreach (string name in AllSolvers)
        {
            var solver = Create(name);
            Assert.Contains("strictly decreasing", Assert.Single(solver.Check(schedule, [1.0, 0.5, 0.5, 0])));
            Assert.Contains("below the noise schedule's TMin", Assert.Single(solver.Check(schedule, [1.0, schedule.TMin / 2, 0])));
            Assert.Contains("beyond the noise schedule's TMax", Assert.Single(solver.Check(schedule, [1.5, 0.5, 0])));
        }
    }

    [Fact]
    public void DdpmWithBetaTildeIsDdimWithEtaOneOnSkippedSteps()
    {
        // DDPM eq. (7) on a 10-step grid and DDIM eq. (12) with eq. (16) at eta = 1 are the same sampler.
        INoiseSchedule schedule = new DiscreteLinearSchedule();
        var times = Times(schedule, 10, toZero: true);
        using var xT = Initial(schedule);
        using var n1 = new SeededNoise(9);
        using var n2 = new SeededNoise(9);
        using var ddpm = Harness.Run(Create("ddpm"), Mixture, schedule, xT, times, n1).X;
        using var ddim = Harness.Run(Create("ddim-eta-1"), Mixture, schedule, xT, times, n2).X;
        Assert.True(Harness.Rmse(ddpm, ddim) < 1e-12, $"rmse {Harness.Rmse(ddpm, ddim)}");
    }

    [Fact]
    public void DdimIsEulerInTheScaledVariable()
    {
        // On alpha = 1, sigma = t the probability-flow ODE is dx/dt = eps, so DDIM (eta = 0) and Euler in t coincide.
        INoiseSchedule ve = new VeSchedule();
        var times = Times(ve, 12, toZero: false);
        using var xT = Initial(ve);
        using var ddim = Harness.Run(Create("ddim"), Mixture, ve, xT, times).X;
        using var euler = Harness.Run(Create("pf-ode-euler"), Mixture, ve, xT, times).X;
        Assert.True(Harness.Rmse(ddim, euler) < 1e-12, $"rmse {Harness.Rmse(ddim, euler)}");
    }

    [Fact]
    public void EulerMaruyamaDriftIsTwiceTheFlowsScoreTerm()
    {
        // One last step (no noise): reverse SDE drift f x - g^2 score, probability flow f x - g^2/2 score (Song et al. 2021,
        // eqs. (6) and (13)), so (EM - x) - 2 (Euler - x) = h f x for a step of length h.
        INoiseSchedule schedule = new ContinuousVpLinearSchedule();
        double s = 0.6, t = 0.55, h = s - t;
        using var xT = Initial(schedule);
        using var em = Harness.Run(Create("euler-maruyama-no-denoise"), Mixture, schedule, xT, [s, t]).X;
        using var euler = Harness.Run(Create("pf-ode-euler"), Mixture, schedule, xT, [s, t]).X;
        using var combination = (em - xT) - 2 * (euler - xT);
        using var expected = xT * (h * schedule.Drift(s));
        Assert.True(Harness.Rmse(combination, expected) < 1e-13, $"rmse {Harness.Rmse(combination, expected)}");
    }

    [Fact]
    public void DenoisingLastStepReturnsTheDataPrediction()
    {
        INoiseSchedule schedule = new DiscreteLinearSchedule();
        using var xT = Initial(schedule);
        double s = 0.01;
        using var em = Harness.Run(Create("euler-maruyama"), Mixture, schedule, xT, [s, 0]).X;
        using var ddim = Harness.Run(Create("ddim"), Mixture, schedule, xT, [s, 0]).X;
        var (eps, x0) = Mixture.Predict(xT, schedule.Alpha(s), schedule.Sigma(s));
        using (eps) using (x0)
        {
            Assert.True(Harness.Rmse(em, x0) < 1e-14);
            Assert.True(Harness.Rmse(ddim, x0) < 1e-14);
        }
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void NoTensorLeaksPerStep(string name)
    {
        var schedule = Schedule("discrete");
        long Leaked(int steps, bool outerScope)
        {
            var times = Times(schedule, steps, toZero: true);
            using var xT = Initial(schedule);
            using var noise = new SeededNoise(1);
            var model = new MixtureDenoiser(Mixture, schedule);
            var context = new SamplingContext { Model = model, Times = times, Initial = xT, Noise = noise };
            var solver = Create(name);
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            if (outerScope)
            {
                using var outer = NewDisposeScope();
                solver.Sample(context);
                // Everything the run left in the caller's scope: the result and nothing per step.
                Assert.Equal(1, outer.DisposablesCount);
            }
            else solver.Sample(context).Dispose();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        Leaked(2, false);   // warm-up: lazily created tensors of the model or of TorchSharp
        Assert.Equal(0, Leaked(3, false));
        Assert.Equal(0, Leaked(20, false));
        Assert.Equal(0, Leaked(20, true));
    }
}
