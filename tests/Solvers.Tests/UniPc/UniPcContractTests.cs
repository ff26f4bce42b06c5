using Pipeline.Plugins.Solvers;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.UniPc;

/// <summary>What UniPC owes the host: finite samples at every small budget, honest counts and checks, no leaks.</summary>
public class UniPcContractTests(ITestOutputHelper output)
{
    static ISolver Create(UniPcOptions options) => new Pipeline.Plugins.Solvers.UniPc(options);

    /// <summary>Every option combination: prediction x variant x order x corrector x lowerOrderFinal (auto, off).</summary>
    public static IEnumerable<UniPcOptions> AllOptions()
    {
        foreach (var prediction in new[] { UniPcPrediction.Data, UniPcPrediction.Noise })
            foreach (var variant in new[] { UniPcVariant.Bh1, UniPcVariant.Bh2 })
                for (int order = 1; order <= 3; order++)
                    foreach (bool corrector in new[] { true, false })
                        foreach (bool? lowerOrderFinal in new bool?[] { null, false })
                            yield return new UniPcOptions
                            {
                                Prediction = prediction, Variant = variant, Order = order, Corrector = corrector, LowerOrderFinal = lowerOrderFinal,
                            };
    }

    static string Describe(UniPcOptions o) =>
        $"{o.Prediction}/{o.Variant}/order {o.Order}/corrector {o.Corrector}/lowerOrderFinal {o.LowerOrderFinal?.ToString() ?? "auto"}";

    [Theory]
    [InlineData("discrete", true)]
    [InlineData("ve", false)]
    public void EveryOptionCombinationGivesFiniteSamplesAtOneToEightEvaluations(string scheduleName, bool toZero)
    {
        // Full runs on two settings (VP into clean data, VE down to TMin); the coefficients of all settings are checked below.
        var schedule = SolverRuns.Schedule(scheduleName);
        var problems = new List<string>();
        int runs = 0;
        foreach (var options in AllOptions())
            for (int nfe = 1; nfe <= 8; nfe++)
            {
                var problem = SolverRuns.Problem(Create(options), schedule, SolverRuns.Times(schedule, nfe, toZero));
                runs++;
                if (problem is not null) problems.Add($"{Describe(options)}, {nfe} NFE: {problem}");
            }
        output.WriteLine($"{runs} runs, {problems.Count} problems");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void StepCoefficientsAreFiniteForEveryOptionScheduleEndingAndBudget()
    {
        var problems = new List<string>();
        foreach (var name in SolverRuns.ScheduleNames)
        {
            var schedule = SolverRuns.Schedule(name);
            foreach (bool toZero in new[] { true, false })
                foreach (var options in AllOptions().Append(new UniPcOptions { Order = 3, LowerOrderFinal = true }))
                    for (int nfe = 1; nfe <= 8; nfe++)
                    {
                        var times = SolverRuns.Times(schedule, nfe, toZero);
                        Assert.Empty(Create(options).Check(schedule, times));
                        foreach (var step in UniPcCoefficients.Plan(options, TimePoint.Along(schedule, times)))
                        {
                            double[] all = [step.XWeight, step.CorrectorNew, .. step.Predictor, .. step.Corrector];
                            if (!all.All(double.IsFinite)) problems.Add($"{name} to {(toZero ? "0" : "TMin")}, {Describe(options)}, {nfe} NFE");
                        }
                    }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Distinct()));
    }

    [Fact]
    public void OtherSchedulesAndEndingsGiveFiniteSamples()
    {
        var problems = new List<string>();
        foreach (var (name, toZero) in new[] { ("discrete", false), ("vp-linear", true), ("vp-linear", false), ("ve", true) })
        {
            var schedule = SolverRuns.Schedule(name);
            foreach (var prediction in new[] { UniPcPrediction.Data, UniPcPrediction.Noise })
                foreach (var variant in new[] { UniPcVariant.Bh1, UniPcVariant.Bh2 })
                    foreach (int nfe in new[] { 1, 2, 3, 5, 8 })
                    {
                        var options = new UniPcOptions { Prediction = prediction, Variant = variant, Order = 3 };
                        var problem = SolverRuns.Problem(Create(options), schedule, SolverRuns.Times(schedule, nfe, toZero));
                        if (problem is not null) problems.Add($"{name} to {(toZero ? "0" : "TMin")}, {Describe(options)}, {nfe} NFE: {problem}");
                    }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheCorrectorCostsNoEvaluation()
    {
        var schedule = SolverRuns.Schedule("discrete");
        foreach (bool toZero in new[] { true, false })
            foreach (int steps in new[] { 1, 2, 3, 10 })
            {
                var times = SolverRuns.Times(schedule, steps, toZero);
                var mixture = Harness.Mixture(3);
                using var xT = SolverRuns.Initial(schedule);
                foreach (bool corrector in new[] { true, false })
                {
                    var (x, model) = Harness.Run(Create(new UniPcOptions { Order = 3, Corrector = corrector }), mixture, schedule, xT, times);
                    x.Dispose();
                    Assert.Equal(steps, model.Evaluations);
                    // The model is never asked at t = 0 nor below TMin (MixtureDenoiser throws), and each time once.
                    Assert.Equal(model.Times.Distinct().Count(), model.Times.Count);
                }
            }
    }

    [Fact]
    public void ACorrectedRunDiffersFromAnUncorrectedOne()
    {
        var schedule = SolverRuns.Schedule("discrete");
        var times = SolverRuns.Times(schedule, 6, toZero: false);
        var mixture = Harness.Mixture(3);
        using var xT = SolverRuns.Initial(schedule);
        using var a = Harness.Run(Create(new UniPcOptions { Corrector = true }), mixture, schedule, xT, times).X;
        using var b = Harness.Run(Create(new UniPcOptions { Corrector = false }), mixture, schedule, xT, times).X;
        Assert.True(Harness.Rmse(a, b) > 1e-4);
    }

    [Fact]
    public void AStepIntoCleanDataReturnsTheDataPredictionOfItsStart()
    {
        // One step from t = 1 to 0: x_0 = E[x_0 | x_1], for both predictions (the limit sigma_t -> 0 of the first-order step).
        var schedule = SolverRuns.Schedule("discrete");
        var mixture = Harness.Mixture(3);
        using var xT = SolverRuns.Initial(schedule);
        var (_, x0) = mixture.Predict(xT, schedule.Alpha(1), schedule.Sigma(1));
        using (x0)
            foreach (var prediction in new[] { UniPcPrediction.Data, UniPcPrediction.Noise })
            {
                using var x = Harness.Run(Create(new UniPcOptions { Prediction = prediction }), mixture, schedule, xT, [1.0, 0.0]).X;
                Assert.True(Harness.Rmse(x, x0) < 1e-12, $"{prediction}: {Harness.Rmse(x, x0):E2}");
            }
    }

    [Fact]
    public void OrdersRampUpAndLowerOverTheLastStepsBelowFifteenSteps()
    {
        var schedule = SolverRuns.Schedule("vp-linear");
        int[] Orders(int steps, bool? lowerOrderFinal, bool toZero = false) => UniPcCoefficients.Plan(
            new UniPcOptions { Order = 3, LowerOrderFinal = lowerOrderFinal },
            TimePoint.Along(schedule, SolverRuns.Times(schedule, steps, toZero))).Select(s => s.Order).ToArray();
        Assert.Equal([1, 2, 3, 3, 2, 1], Orders(6, null));
        Assert.Equal([1, 2, 3, 3, 3, 3], Orders(6, false));
        Assert.Equal([1, 2, 1], Orders(3, null));
        Assert.Equal([1, 2], Orders(2, false));
        Assert.Equal(3, Orders(15, null)[^1]);
        Assert.Equal(1, Orders(15, true)[^1]);
        // Into clean data the last step is always the x_0 prediction (order 1).
        Assert.Equal(1, Orders(6, false, toZero: true)[^1]);
        // The corrector runs after every step but the last.
        var plan = UniPcCoefficients.Plan(new UniPcOptions(), TimePoint.Along(schedule, SolverRuns.Times(schedule, 5, false)));
        Assert.Equal([true, true, true, true, false], plan.Select(s => s.Corrects));
    }

    [Fact]
    public void NoTensorLeaks()
    {
        var schedule = SolverRuns.Schedule("discrete");
        foreach (var options in new[] { new UniPcOptions { Order = 3 }, new UniPcOptions { Order = 2, Corrector = false, Prediction = UniPcPrediction.Noise } })
        {
            SolverRuns.Leaked(() => Create(options), schedule, 2, true);   // warm-up
            Assert.Equal(0, SolverRuns.Leaked(() => Create(options), schedule, 3, true));
            Assert.Equal(0, SolverRuns.Leaked(() => Create(options), schedule, 12, false));
            Assert.Equal(0, SolverRuns.Leaked(() => Create(options), schedule, 12, true, outerScope: true));
        }
    }

    [Fact]
    public void ChecksRejectImpossibleTimes()
    {
        INoiseSchedule schedule = SolverRuns.Schedule("discrete");
        var solver = Create(new UniPcOptions());
        Assert.Contains("at least 1 step", Assert.Single(solver.Check(schedule, [1.0])));
        Assert.Contains("strictly decreasing", Assert.Single(solver.Check(schedule, [1.0, 0.5, 0.5, 0])));
        Assert.Contains("below the noise schedule's TMin", Assert.Single(solver.Check(schedule, [1.0, schedule.TMin / 2, 0])));
        Assert.Empty(solver.Check(schedule, [1.0, 0.5, 0]));
        Assert.Empty(solver.Check(schedule, [1.0, 0.5, schedule.TMin]));
    }

    [Fact]
    public void ObserverSeesEveryStep()
    {
        var schedule = SolverRuns.Schedule("discrete");
        var times = SolverRuns.Times(schedule, 7, toZero: true);
        var steps = new List<int>();
        var model = new MixtureDenoiser(Harness.Mixture(3), schedule);
        using var xT = SolverRuns.Initial(schedule);
        var context = new SamplingContext { Model = model, Times = times, Initial = xT, Noise = null!, Observer = new Recorder(steps) };
        using var x = Create(new UniPcOptions { Order = 3 }).Sample(context);
        Assert.Equal(Enumerable.Range(0, 7), steps);
    }

    sealed class Recorder(List<int> steps) : Pipeline.Sampling.ISamplingObserver
    {
        public void OnStep(in Pipeline.Sampling.StepInfo step) => steps.Add(step.Step);
    }
}
