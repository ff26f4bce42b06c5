using System.ComponentModel.DataAnnotations;
using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Dpm;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Xunit.Abstractions;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Dpm;

/// <summary>What dpm-solver and dpm-solver++ owe the host: honest checks and NFE, finite samples, the t = 0 rules, reports, no leaks.</summary>
public class DpmContractTests(ITestOutputHelper output)
{
    static readonly INoiseSchedule Schedule = Dpm.DiscreteLinear();

    static readonly Lazy<Pipeline.Plugins.Models.GaussianMixtureModel> Mixture3 = new(() => Dpm.Mixture(3));

    static Tensor Initial(int batch = 8, ulong seed = 1) => Dpm.Noise(batch, 3, seed);

    static (Tensor X, PluginDenoiser Model) Run(ISolver solver, IReadOnlyList<double> times, Tensor? initial = null,
        ISamplingObserver? observer = null)
    {
        using var own = initial is null ? Initial() : null;
        return Dpm.Run(solver, Mixture3.Value, Schedule, initial ?? own!, times, observer: observer);
    }

    static double[] Times(int steps, bool toZero) => Dpm.UniformTimes(Schedule, 1, toZero ? 0 : Schedule.TMin, steps);

    public static IEnumerable<DpmSolverOptions> AllOptions(bool adaptive = true)
    {
        foreach (var method in Enum.GetValues<DpmSolverMethod>())
            foreach (int order in new[] { 1, 2, 3 })
                foreach (var type in Enum.GetValues<DpmSolverType>())
                {
                    if (method == DpmSolverMethod.Adaptive && (order == 1 || !adaptive)) continue;
                    if (order == 1 && type == DpmSolverType.Heun) continue;
                    yield return Dpm.Options(method, order, type);
                }
    }

    static string Describe(string name, DpmSolverOptions o) => $"{name} {o.Method} order {o.Order} {o.SolverType}";

    [Fact]
    public void EveryMethodAndOrderGivesFiniteSamplesFromOneToEightNfeOrIsRefusedWithAReason()
    {
        int runs = 0, refused = 0;
        foreach (var name in new[] { "dpm-solver", "dpm-solver++" })
            foreach (var options in AllOptions())
                foreach (bool toZero in new[] { false, true })
                    for (int nfe = 1; nfe <= 8; nfe++)
                    {
                        var solver = Dpm.Solver(name, options);
                        var times = Times(nfe, toZero);
                        var problems = solver.Check(Schedule, times).ToList();
                        string what = $"{Describe(name, options)}, {nfe} NFE to {(toZero ? "0" : "TMin")}";
                        if (problems.Count > 0)
                        {
                            refused++;
                            // Only these are refused, each with the reason and the way out.
                            bool expected = toZero && (name == "dpm-solver" || options.Method == DpmSolverMethod.Adaptive)
                                || options.Method == DpmSolverMethod.SinglestepFixed && (toZero ? nfe - 1 : nfe) % options.Order != 0;
                            Assert.True(expected, $"{what} refused: {problems[0]}");
                            Assert.Contains(problems[0], problems);
                            Assert.True(problems[0].Contains("t = 0") || problems[0].Contains("multiple"), problems[0]);
                            continue;
                        }
                        runs++;
                        var (x, _) = Run(solver, times);
                        using (x) Assert.True(x.isfinite().all().item<bool>(), $"{what}: non-finite samples");
                    }
        output.WriteLine($"{runs} runs finite, {refused} refused by Check");
    }

    [Fact]
    public void EvaluationsEqualTheCountedModelCalls()
    {
        foreach (var name in new[] { "dpm-solver", "dpm-solver++" })
            foreach (var options in AllOptions(adaptive: false))
                foreach (bool denoise in new[] { false, true })
                    foreach (bool toZero in new[] { false, true })
                        foreach (int steps in new[] { 1, 2, 3, 4, 7, 9, 12 })
                        {
                            options.DenoiseToZero = denoise;
                            var solver = Dpm.Solver(name, options);
                            var times = Times(steps, toZero);
                            if (solver.Check(Schedule, times).Any()) continue;
                            var (x, model) = Run(solver, times);
                            x.Dispose();
                            Assert.True(solver.Evaluations(times) == model.Evaluations,
                                $"{Describe(name, options)}, {steps} steps{(toZero ? " to 0" : "")}{(denoise ? " + denoise" : "")}: " +
                                $"Evaluations {solver.Evaluations(times)}, counted {model.Evaluations}");
                            // NFE = steps: the time-step schedule's step count is the budget, for every method.
                            Assert.Equal(steps + (denoise ? 1 : 0), model.Evaluations);
                        }
    }

    [Fact]
    public void TheModelIsNeverEvaluatedAtTZeroAndSinglestepEvaluatesExactlyAtTheGivenTimes()
    {
        var times = Times(10, toZero: true);
        foreach (var method in new[] { DpmSolverMethod.Singlestep, DpmSolverMethod.Multistep })
        {
            var (x, model) = Run(new DpmSolverPlusPlus(Dpm.Options(method, 3)), times);
            x.Dispose();
            // 'given' grid: each of the 10 evaluations at one of the given times, in order; none at t = 0.
            Assert.Equal(times[..^1], model.Times);
        }
    }

    [Fact]
    public void ChecksExplainImpossibleConfigurations()
    {
        var toZero = Times(10, toZero: true);
        var noise = Assert.Single(new DpmSolver(new DpmSolverOptions()).Check(Schedule, toZero));
        Assert.Contains("cannot step to t = 0", noise);
        Assert.Contains("denoiseToZero", noise);
        Assert.Contains("dpm-solver++", noise);
        Assert.Empty(new DpmSolverPlusPlus(new DpmSolverOptions()).Check(Schedule, toZero));

        var adaptive = Assert.Single(new DpmSolverPlusPlus(new DpmSolverOptions { Method = DpmSolverMethod.Adaptive }).Check(Schedule, toZero));
        Assert.Contains("positive last time", adaptive);

        var twice = Assert.Single(new DpmSolverPlusPlus(new DpmSolverOptions { DenoiseToZero = true }).Check(Schedule, toZero));
        Assert.Contains("already end at t = 0", twice);

        var fixedProblem = Assert.Single(new DpmSolver(Dpm.Options(DpmSolverMethod.SinglestepFixed, 3)).Check(Schedule, Times(10, false)));
        Assert.Contains("multiple of 3", fixedProblem);
        Assert.Contains("'singlestep'", fixedProblem);
        Assert.Empty(new DpmSolver(Dpm.Options(DpmSolverMethod.SinglestepFixed, 3)).Check(Schedule, Times(9, false)));
        // To t = 0 the last step is the data prediction, so 9 + 1 steps fit order 3.
        Assert.Empty(new DpmSolverPlusPlus(Dpm.Options(DpmSolverMethod.SinglestepFixed, 3)).Check(Schedule, toZero));

        // The denoising step evaluates the model at the last time, which must then be at least TMin.
        var below = Assert.Single(new DpmSolverPlusPlus(new DpmSolverOptions { DenoiseToZero = true })
            .Check(Schedule, [1, 0.5, Schedule.TMin / 2]));
        Assert.Contains("final time", below);

        Assert.Contains("at least 1 step", Assert.Single(new DpmSolverPlusPlus(new DpmSolverOptions()).Check(Schedule, [1.0])));
    }

    [Fact]
    public void AdaptiveNeedsOrderTwoOrThree()
    {
        var options = new DpmSolverOptions { Method = DpmSolverMethod.Adaptive, Order = 1 };
        var result = Assert.Single(options.Validate(new ValidationContext(options)));
        Assert.Contains(nameof(DpmSolverOptions.Order), result.MemberNames);
        Assert.Contains("DPM-Solver-12", result.ErrorMessage);
        options.Order = 3;
        Assert.Empty(options.Validate(new ValidationContext(options)));
    }

    [Fact]
    public void FirstOrderIsDdimForBothPredictionsAndEveryMethod()
    {
        var times = Times(7, toZero: false);
        using var xT = Initial();
        using var ddim = Run(new Ddim(new DdimOptions()), times, xT).X;
        foreach (var method in new[] { DpmSolverMethod.Multistep, DpmSolverMethod.Singlestep, DpmSolverMethod.SinglestepFixed })
            foreach (var name in new[] { "dpm-solver", "dpm-solver++" })
            {
                using var x = Run(Dpm.Solver(name, Dpm.Options(method, 1)), times, xT).X;
                Assert.True(Dpm.MaxAbsDiff(x, ddim) < 1e-12, $"{name} {method}: {Dpm.MaxAbsDiff(x, ddim):E2} from DDIM");
            }
    }

    [Fact]
    public void AStepIntoZeroIsTheDataPredictionAtItsStart()
    {
        // Ending at 0 equals ending at the last positive time followed by the denoising step, for every method.
        var toZero = Times(10, toZero: true);
        var toLast = toZero[..^1];
        using var xT = Initial();
        foreach (var (method, order) in new[] { (DpmSolverMethod.Multistep, 2), (DpmSolverMethod.Multistep, 3), (DpmSolverMethod.Singlestep, 3), (DpmSolverMethod.SinglestepFixed, 3) })
        {
            var into = Dpm.Options(method, order, lowerOrderFinal: false);
            var (a, ma) = Run(new DpmSolverPlusPlus(into), toZero, xT);
            var denoised = Dpm.Options(method, order, lowerOrderFinal: false);
            denoised.DenoiseToZero = true;
            var (b, mb) = Run(new DpmSolverPlusPlus(denoised), toLast, xT);
            using (a) using (b)
            {
                Assert.Equal(ma.Evaluations, mb.Evaluations);
                Assert.True(Dpm.MaxAbsDiff(a, b) < 1e-14, $"{method} {order}: {Dpm.MaxAbsDiff(a, b):E2}");
            }
        }
    }

    [Fact]
    public void LogSnrGridUsesOnlyTheEndsAndTheStepCount()
    {
        using var xT = Initial();
        var options = Dpm.Options(DpmSolverMethod.Singlestep, 3);
        options.SinglestepGrid = SinglestepGrid.LogsnrUniform;
        var uniform = Times(10, false);
        var quadratic = new Pipeline.Plugins.Schedules.TimeQuadratic(new() { Steps = 10, TStart = 1, TEnd = Schedule.TMin }).Times(Schedule);
        var (a, _) = Run(new DpmSolverPlusPlus(options), uniform, xT);
        var (b, model) = Run(new DpmSolverPlusPlus(options), quadratic, xT);
        using (a) using (b)
        {
            Assert.True(Dpm.MaxAbsDiff(a, b) < 1e-15);
            // 10 NFE at order 3: K = 10 / 3 + 1 = 4 outer steps of orders [3, 3, 3, 1], uniform in lambda, each split
            // uniformly in lambda.
            var lambdas = model.Times.Select(Schedule.Lambda).ToArray();
            double l0 = Schedule.Lambda(1), h = (Schedule.Lambda(Schedule.TMin) - l0) / 4;
            double[] expected = [.. Enumerable.Range(0, 9).Select(i => l0 + h * i / 3), l0 + 3 * h];
            Assert.Equal(expected.Length, model.Evaluations);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], lambdas[i], 9);
        }
    }

    [Fact]
    public void ObserverSeesStepsWithinTheGivenStepRange()
    {
        var times = Times(10, toZero: false);
        var cases = new (DpmSolverOptions Options, int[] Steps)[]
        {
            (Dpm.Options(DpmSolverMethod.Multistep, 3), Enumerable.Range(0, 10).ToArray()),
            // Singlestep [3, 3, 3, 1]: each step reports the last interval it covered.
            (Dpm.Options(DpmSolverMethod.Singlestep, 3), [2, 5, 8, 9]),
            (new DpmSolverOptions { Method = DpmSolverMethod.Singlestep, Order = 3, DenoiseToZero = true }, [2, 5, 8, 9]),
        };
        foreach (var (options, steps) in cases)
        {
            var observer = new StepRecorder();
            var (x, _) = Run(new DpmSolverPlusPlus(options), times, observer: observer);
            using (x)
            {
                Assert.Equal(steps, observer.Steps.Select(s => s.Step));
                Assert.All(observer.Steps, s => Assert.Equal(10, s.Steps));
                Assert.Equal(times[0], observer.Steps[0].TFrom);
                // The last report holds the result; with denoiseToZero it ends at t = 0.
                Assert.Equal(options.DenoiseToZero ? 0 : times[^1], observer.Steps[^1].TTo);
                Assert.True(Dpm.MaxAbsDiff(observer.Last!, x) == 0);
            }
            observer.Last!.Dispose();
        }

        var adaptive = new StepRecorder();
        var (y, _) = Run(new DpmSolverPlusPlus(new DpmSolverOptions { Method = DpmSolverMethod.Adaptive }), times, observer: adaptive);
        using (y)
        {
            Assert.True(adaptive.Steps.Count > 3);
            // An adaptive step reports the share of lambda done: step i of 10 ends in the share ((i)/10, (i+1)/10]. The
            // index is not clamped (the kit's SolverRun refuses one outside 0..9), so a wrong one shows here.
            double l0 = Schedule.Lambda(times[0]), l1 = Schedule.Lambda(times[^1]);
            foreach (var s in adaptive.Steps.SkipLast(1))
            {
                double share = (Schedule.Lambda(s.TTo) - l0) / (l1 - l0);
                Assert.True(share > s.Step / 10.0 - 1e-12 && share <= (s.Step + 1) / 10.0 + 1e-12, $"step {s.Step} ends at lambda share {share}");
            }
            Assert.Equal(9, adaptive.Steps[^1].Step);
            Assert.Equal(times[^1], adaptive.Steps[^1].TTo, 1e-5);
            Assert.True(adaptive.Steps.Zip(adaptive.Steps.Skip(1)).All(p => p.First.Step <= p.Second.Step && p.First.TTo == p.Second.TFrom));
            Assert.True(Dpm.MaxAbsDiff(adaptive.Last!, y) == 0);
        }
        adaptive.Last!.Dispose();
    }

    [Fact]
    public void CancellationStopsTheRun()
    {
        using var cts = new CancellationTokenSource();
        var model = new PluginDenoiser(Mixture3.Value, Schedule);
        using var xT = Initial();
        var context = new SamplingContext
        {
            Model = model, Times = Times(10, false), Initial = xT, Noise = new Dpm.NoNoise(),
            Observer = new CancelAfter(3, cts), Cancellation = cts.Token,
        };
        Assert.Throws<OperationCanceledException>(() => new DpmSolverPlusPlus(new DpmSolverOptions()).Sample(context));
        Assert.Equal(3, model.Evaluations);
    }

    sealed class CancelAfter(int steps, CancellationTokenSource cts) : ISamplingObserver
    {
        public void OnStep(in StepInfo step) { if (step.Step + 1 == steps) cts.Cancel(); }
    }

    [Fact]
    public void TheInitialStateIsNotWrittenAndNothingLeaks()
    {
        var solvers = new Func<ISolver>[]
        {
            () => new DpmSolverPlusPlus(Dpm.Options(DpmSolverMethod.Multistep, 3)),
            () => new DpmSolver(Dpm.Options(DpmSolverMethod.Singlestep, 3, DpmSolverType.Heun)),
            () => new DpmSolverPlusPlus(new DpmSolverOptions { Method = DpmSolverMethod.SinglestepFixed, Order = 2, DenoiseToZero = true }),
            () => new DpmSolver(new DpmSolverOptions { Method = DpmSolverMethod.Adaptive, Order = 3 }),
        };
        foreach (var create in solvers)
        {
            long Leaked(int steps, bool outerScope)
            {
                var times = Times(steps, toZero: false);
                using var xT = Initial();
                using var copy = xT.clone();
                var context = new SamplingContext
                {
                    Model = new PluginDenoiser(Mixture3.Value, Schedule), Times = times, Initial = xT, Noise = new Dpm.NoNoise(),
                };
                var solver = create();
                long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                if (outerScope)
                {
                    using var outer = NewDisposeScope();
                    solver.Sample(context);
                    Assert.Equal(1, outer.DisposablesCount);
                }
                else solver.Sample(context).Dispose();
                long leaked = DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
                Assert.True(Dpm.MaxAbsDiff(xT, copy) == 0, "the initial state was written");
                return leaked;
            }
            Leaked(2, false);
            Assert.Equal(0, Leaked(4, false));
            Assert.Equal(0, Leaked(12, false));
            Assert.Equal(0, Leaked(12, true));
        }
    }
}
