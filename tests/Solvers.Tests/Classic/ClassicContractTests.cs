using Pipeline.Options;
using Pipeline.Plugins.Schedules;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Classic;

/// <summary>What every classic solver owes the host: exact NFE counts, finite samples at small budgets, honest checks, no leaks.</summary>
public class ClassicContractTests(ITestOutputHelper output)
{
    public static TheoryData<string> Solvers => new(ClassicSolvers.All);
    public static TheoryData<string> StochasticSolvers => new(ClassicSolvers.Stochastic);

    static INoiseSchedule Schedule(string name) => name switch
    {
        "discrete" => new DiscreteLinearSchedule(),
        "vp-linear" => new VpLinearSchedule(new VpLinearScheduleOptions()),
        "edm" => new EdmSchedule(new EdmScheduleOptions()),
        _ => throw new ArgumentException(name),
    };

    static readonly string[] ScheduleNames = ["discrete", "vp-linear", "edm"];

    static readonly GaussianMixture Mixture = Harness.Mixture(3);

    static Tensor Initial(INoiseSchedule schedule, int batch = 8, long seed = 1)
    {
        using var gen = new Generator((ulong)seed);
        using var z = randn([batch, 3], float64, generator: gen);
        double scale = schedule.Sigma(schedule.TMax) / schedule.Alpha(schedule.TMax) > 1 ? schedule.Sigma(schedule.TMax) : 1.0;
        return z * scale;
    }

    /// <summary>Times from TMax to 0 (uniform in t) or to TMin (uniform in log-SNR).</summary>
    static double[] Times(INoiseSchedule schedule, int steps, bool toZero) => toZero
        ? Harness.UniformTimes(schedule.TMax, 0, steps)
        : Harness.LogSnrTimes(schedule, schedule.TMax, schedule.TMin, steps);

    static (Tensor X, MixtureDenoiser Model) Run(string name, INoiseSchedule schedule, Tensor initial, double[] times, long seed = 3)
    {
        using var noise = new SeededNoise(seed);
        return Harness.Run(ClassicSolvers.Create(name), Mixture, schedule, initial, times, ClassicSolvers.IsStochastic(name) ? noise : null);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void EvaluationsEqualsTheCountedModelCalls(string name)
    {
        foreach (string scheduleName in new[] { "discrete", "edm" })
        {
            var schedule = Schedule(scheduleName);
            foreach (int steps in new[] { 1, 2, 3, 4, 5, 7 })
                foreach (bool toZero in new[] { true, false })
                {
                    var times = Times(schedule, steps, toZero);
                    using var xT = Initial(schedule);
                    var (x, model) = Run(name, schedule, xT, times);
                    x.Dispose();
                    Assert.True(ClassicSolvers.Create(name).Evaluations(times) == model.Evaluations,
                        $"{name} on {scheduleName}, {steps} steps to {(toZero ? "0" : "TMin")}: Evaluations says {ClassicSolvers.Create(name).Evaluations(times)}, the model counted {model.Evaluations}");
                }
        }
    }

    [Fact]
    public void EvaluationCountsFollowEachMethod()
    {
        double[] toZero5 = [1, 0.8, 0.6, 0.4, 0.2, 0], toMin5 = [1, 0.8, 0.6, 0.4, 0.2, 0.1];
        // pndm: 4 per pseudo Runge-Kutta step (the first three, unless one ends at 0), then 1 (diffusers: 12 + (n - 3)).
        Assert.Equal(14, ClassicSolvers.Create("pndm").Evaluations(toZero5));
        Assert.Equal(5, ClassicSolvers.Create("pndm").Evaluations([1, 0.5, 0]));
        Assert.Equal(1, ClassicSolvers.Create("pndm").Evaluations([1, 0]));
        // plms: one extra evaluation for the pseudo improved Euler start (diffusers' repeated second timestep).
        Assert.Equal(6, ClassicSolvers.Create("plms").Evaluations(toZero5));
        Assert.Equal(1, ClassicSolvers.Create("plms").Evaluations([1, 0]));
        Assert.Equal(2, ClassicSolvers.Create("plms").Evaluations([1, 0.5]));
        foreach (var name in new[] { "ipndm", "lms", "euler", "euler-churn" })
            Assert.Equal(5, ClassicSolvers.Create(name).Evaluations(toZero5));
        Assert.Equal(9, ClassicSolvers.Create("heun").Evaluations(toZero5));
        Assert.Equal(10, ClassicSolvers.Create("heun").Evaluations(toMin5));
        // langevin: nStepsEach (3) per level, 1 for the denoising step into 0; pc: 1 + correctorSteps, 1 into 0.
        Assert.Equal(13, ClassicSolvers.Create("langevin").Evaluations(toZero5));
        Assert.Equal(15, ClassicSolvers.Create("langevin").Evaluations(toMin5));
        Assert.Equal(9, ClassicSolvers.Create("pc").Evaluations(toZero5));
        Assert.Equal(13, ClassicSolvers.Create("pc-2").Evaluations(toZero5));
        Assert.Equal(15, ClassicSolvers.Create("pc-2").Evaluations(toMin5));
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void FiniteSamplesAtEveryStepCountFromOneToEight(string name)
    {
        // Steps 1..8 to 0 and to TMin cover every NFE budget from 1 to 8 that the method can spend.
        var budgets = new SortedSet<int>();
        foreach (string scheduleName in ScheduleNames)
        {
            var schedule = Schedule(scheduleName);
            foreach (int steps in Enumerable.Range(1, 8))
                foreach (bool toZero in new[] { true, false })
                {
                    var times = Times(schedule, steps, toZero);
                    var solver = ClassicSolvers.Create(name);
                    var problems = solver.Check(schedule, times).ToList();
                    string where = $"{name} on {scheduleName}, {steps} step(s) to {(toZero ? "0" : "TMin")}";
                    if (problems.Count > 0)
                    {
                        // A refusal must say why and name the solver.
                        output.WriteLine($"{where}: refused: {problems[0]}");
                        Assert.All(problems, p => Assert.Contains(name.Split('-')[0], p));
                        continue;
                    }
                    budgets.Add(solver.Evaluations(times));
                    using var xT = Initial(schedule);
                    using var copy = xT.clone();
                    var (x, _) = Run(name, schedule, xT, times);
                    using (x)
                    {
                        Assert.True(x.isfinite().all().item<bool>(), $"{where}: non-finite output");
                        Assert.Equal(xT.shape, x.shape);
                        Assert.True(Harness.SameBits(xT, copy), $"{where}: the initial state was modified");
                    }
                }
        }
        output.WriteLine($"{name}: NFE budgets run: {string.Join(", ", budgets)}");
        // Budgets a method cannot spend: pndm's 2, 3, 6 and 7 (4 NFE per warm-up step, 1 for a step into 0); with 3
        // evaluations per level or step (langevin with nStepsEach = 3, pc with 2 corrector steps) 2, 5 and 8.
        var missing = Enumerable.Range(1, 8).Where(b => !budgets.Contains(b)).ToList();
        int[] expected = name switch { "pndm" => [2, 3, 6, 7], "langevin" or "pc-2" => [2, 5, 8], _ => [] };
        Assert.Equal(expected, missing);
    }

    [Theory]
    [MemberData(nameof(Solvers))]
    public void NoTensorLeaksAndTheHistoryIsDisposed(string name)
    {
        var schedule = Schedule("discrete");
        long Leaked(int steps, bool outerScope)
        {
            var times = Times(schedule, steps, toZero: true);
            using var xT = Initial(schedule);
            using var noise = new SeededNoise(1);
            var context = new SamplingContext { Model = new MixtureDenoiser(Mixture, schedule), Times = times, Initial = xT, Noise = noise };
            var solver = ClassicSolvers.Create(name);
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            if (outerScope)
            {
                using var outer = NewDisposeScope();
                solver.Sample(context);
                Assert.Equal(1, outer.DisposablesCount);
            }
            else solver.Sample(context).Dispose();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        Leaked(2, false);
        Assert.Equal(0, Leaked(3, false));
        Assert.Equal(0, Leaked(12, false));
        Assert.Equal(0, Leaked(12, true));
    }

    [Fact]
    public void HistoryIsDisposedWhenTheRunIsCancelled()
    {
        var schedule = Schedule("discrete");
        foreach (var name in new[] { "pndm", "plms", "ipndm", "lms" })
        {
            using var cts = new CancellationTokenSource();
            using var xT = Initial(schedule);
            var context = new SamplingContext
            {
                Model = new MixtureDenoiser(Mixture, schedule), Times = Times(schedule, 10, true), Initial = xT,
                Noise = new SeededNoise(1), Observer = new CancelAfter(6, cts), Cancellation = cts.Token,
            };
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            Assert.Throws<OperationCanceledException>(() => ClassicSolvers.Create(name).Sample(context));
            Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
        }
    }

    sealed class CancelAfter(int steps, CancellationTokenSource cts) : ISamplingObserver
    {
        public void OnStep(in StepInfo step) { if (step.Step + 1 == steps) cts.Cancel(); }
    }

    [Theory]
    [MemberData(nameof(StochasticSolvers))]
    public void SameSeedGivesIdenticalBitsAndSamplesDoNotDependOnTheirBatch(string name)
    {
        var schedule = Schedule("edm");
        var times = Times(schedule, 8, toZero: false);
        using var xT = Initial(schedule);
        using var a = Run(name, schedule, xT, times, seed: 42).X;
        using var b = Run(name, schedule, xT, times, seed: 42).X;
        Assert.True(Harness.SameBits(a, b), "two runs with the same seed differ");
        // pc's step sizes use per-sample norms, so a sample's result must not change with its batch.
        using var firstHalf = xT[..4];
        using var c = Run(name, schedule, firstHalf, times, seed: 42).X;
        using var aHalf = a[..4];
        Assert.True(c.allclose(aHalf, rtol: 0, atol: 1e-12), "a sample's result changed with the batch it ran in");
        using var d = Run(name, schedule, xT, times, seed: 43).X;
        Assert.False(a.allclose(d), "the noise source was not used");
    }

    [Fact]
    public void ObserverSeesEveryStepOfAMultistepRun()
    {
        var schedule = Schedule("discrete");
        var times = Times(schedule, 7, toZero: true);
        using var xT = Initial(schedule);
        var steps = new List<int>();
        var observer = new Recorder(steps);
        var (x, _) = Harness.Run(ClassicSolvers.Create("pndm"), Mixture, schedule, xT, times, observer: observer);
        using (x)
        {
            Assert.Equal(Enumerable.Range(0, 7), steps);
            Assert.True(Harness.SameBits(observer.Last!, x));
        }
        observer.Last!.Dispose();
    }

    sealed class Recorder(List<int> steps) : ISamplingObserver
    {
        public Tensor? Last;
        public void OnStep(in StepInfo step)
        {
            steps.Add(step.Step);
            Last?.Dispose();
            Last = step.X.clone();
        }
    }

    [Fact]
    public void ChecksExplainImpossibleTimes()
    {
        INoiseSchedule schedule = Schedule("discrete");
        double below = schedule.TMin / 2;
        // Methods that evaluate the model at the end of a step: the final time must be 0 or at least TMin.
        foreach (var name in new[] { "heun", "langevin", "pc" })
        {
            Assert.Contains("final time", Assert.Single(ClassicSolvers.Create(name).Check(schedule, [1.0, 0.5, below])));
            Assert.Empty(ClassicSolvers.Create(name).Check(schedule, [1.0, 0.5, 0]));
        }
        // pndm's Runge-Kutta warm-up (first three steps) and plms's improved Euler start (first step) evaluate the end.
        Assert.Contains("final time", Assert.Single(ClassicSolvers.Create("pndm").Check(schedule, [1.0, 0.5, below])));
        Assert.Empty(ClassicSolvers.Create("pndm").Check(schedule, [1.0, 0.8, 0.6, 0.4, below]));
        Assert.Contains("final time", Assert.Single(ClassicSolvers.Create("plms").Check(schedule, [1.0, below])));
        Assert.Empty(ClassicSolvers.Create("plms").Check(schedule, [1.0, 0.5, below]));
        // pc without corrector never evaluates the end of a step.
        Assert.Empty(ClassicSolvers.Create("pc-0").Check(schedule, [1.0, 0.5, below]));
        foreach (var name in ClassicSolvers.All)
        {
            var solver = ClassicSolvers.Create(name);
            Assert.Contains("strictly decreasing", Assert.Single(solver.Check(schedule, [1.0, 0.5, 0.5, 0])));
            Assert.Contains("beyond the noise schedule's TMax", Assert.Single(solver.Check(schedule, [1.5, 0.5, 0])));
            Assert.Contains("at least 1 step", Assert.Single(solver.Check(schedule, [1.0])));
        }
    }

    [Fact]
    public void LangevinRefusesAStepSizeThatWouldBlowUpTheSmallestNoiseLevel()
    {
        INoiseSchedule edm = Schedule("edm");
        double[] times = [.. Harness.LogSnrTimes(edm, 80, 0.01, 9), 0];   // sigma_L = 0.01
        var ok = new Pipeline.Plugins.Solvers.Langevin.AnnealedLangevin(new() { Epsilon = 1.9e-4 });
        var tooLarge = new Pipeline.Plugins.Solvers.Langevin.AnnealedLangevin(new() { Epsilon = 2.1e-4 });
        Assert.Empty(ok.Check(edm, times));
        var problem = Assert.Single(tooLarge.Check(edm, times));
        Assert.Contains("2 sigma_L^2", problem);
        Assert.Contains("epsilon", problem);
        // NCSN's default 2e-5 suits sigma_L = 0.01 but not EDM's 0.002.
        var ncsn = new Pipeline.Plugins.Solvers.Langevin.AnnealedLangevin(new());
        Assert.Empty(ncsn.Check(edm, times));
        Assert.Single(ncsn.Check(edm, [.. Harness.LogSnrTimes(edm, 80, 0.002, 9), 0]));
    }

    [Fact]
    public void PredictorCorrectorRefusesTwoValuesPerSample()
    {
        var mixture = new GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]], [0.3, 0.3]);
        INoiseSchedule edm = Schedule("edm");
        using var xT = randn(4, 2, float64) * 80.0;
        var context = new SamplingContext { Model = new MixtureDenoiser(mixture, edm), Times = [80, 1, 0], Initial = xT, Noise = new SeededNoise(1) };
        var error = Assert.Throws<PipelineInputException>(() => ClassicSolvers.Create("pc").Sample(context));
        Assert.Contains("correctorSteps", error.Message);
        using var x = ClassicSolvers.Create("pc-0").Sample(context);
        Assert.True(x.isfinite().all().item<bool>());
    }

    [Fact]
    public void ChurnStaysBelowTheScheduleMaximum()
    {
        // The first step starts at TMax: a churned level above rho(TMax) has no time, so that step adds no noise;
        // the next one does (gamma = min(40 / 2, sqrt(2) - 1)).
        INoiseSchedule edm = Schedule("edm");
        var euler = new Pipeline.Plugins.Solvers.Karras.KarrasEuler(new() { SChurn = 40 });
        using var xT = Initial(edm);
        using var noise = new SeededNoise(2);
        var (x, model) = Harness.Run(euler, Mixture, edm, xT, [80, 10, 0], noise);
        using (x)
        {
            Assert.Equal(1, noise.Draws);
            Assert.Equal(80, model.Times[0]);
            Assert.Equal(10 * Math.Sqrt(2), model.Times[1], 1e-12);
        }
    }

    [Fact]
    public void EveryExportIsBuiltFromItsOptionsAsTheHostDoes()
    {
        // The host calls ActivatorUtilities.CreateInstance(services, implementation, options): a public constructor must
        // take the options object (NoOptions included) and nothing the host does not provide.
        var exports = typeof(Pipeline.Plugins.Solvers.Pndm.Pndm).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Pipeline.Plugins.IPluginExport).IsAssignableFrom(t)
                && t.Namespace is "Pipeline.Plugins.Solvers.Pndm" or "Pipeline.Plugins.Solvers.Karras" or "Pipeline.Plugins.Solvers.Langevin")
            .Select(t => (Pipeline.Plugins.IPluginExport)Activator.CreateInstance(t)!).ToList();
        Assert.Equal(10, exports.Count);
        foreach (var export in exports)
        {
            var options = Activator.CreateInstance(export.Options)!;
            var constructor = export.Implementation.GetConstructors()
                .SingleOrDefault(c => c.GetParameters().Length == 1 && c.GetParameters()[0].ParameterType.IsAssignableFrom(export.Options));
            Assert.True(constructor is not null, $"{export.Implementation.Name} has no public constructor taking {export.Options.Name}");
            Assert.IsAssignableFrom<ISolver>(constructor!.Invoke([options]));
        }
    }

    [Fact]
    public void ChurnOptionsRejectAnEmptyRange()
    {
        var options = new Pipeline.Plugins.Solvers.Karras.ChurnOptions { STmin = 2, STmax = 1 };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(
            options, new System.ComponentModel.DataAnnotations.ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains("STmax", Assert.Single(results).MemberNames);
    }
}
