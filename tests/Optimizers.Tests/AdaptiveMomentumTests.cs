using Pipeline.Plugins.Search.Momentum;
using Pipeline.Plugins.Solvers;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Tests;

public class AdaptiveMomentumTests
{
    static ISolver Ams(ISolver inner, double momentum = 0.3, double paceDecay = 0.5) =>
        new AdaptiveMomentum(new AdaptiveMomentumOptions { MomentumMax = momentum, MomentumMin = 0, PaceDecay = paceDecay }).Wrap(inner);

    public static TheoryData<string> OneStepSolvers => ["ddim", "ddim-eta-1", "ddpm", "pf-ode-euler", "pf-ode-heun"];

    static ISolver Solver(string name) => name switch
    {
        "ddim" => new Ddim(new DdimOptions()),
        "ddim-eta-1" => new Ddim(new DdimOptions { Eta = 1 }),
        "ddpm" => new Ddpm(new DdpmOptions()),
        "pf-ode-euler" => new ProbabilityFlowOde(new ProbabilityFlowOdeOptions()),
        "pf-ode-heun" => new ProbabilityFlowOde(new ProbabilityFlowOdeOptions { Method = OdeMethod.Heun }),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// With momentum b = 0 the momentum is the current update, and without pace (c = 1) or with c = 0 the pace ratio is 1,
    /// so AMS must reproduce the inner sampler exactly; that the step-by-step run equals the whole run also proves each solver's OneStep claim.
    /// </summary>
    [Theory]
    [MemberData(nameof(OneStepSolvers))]
    public void WithoutMomentumTheRunIsTheInnerSolversBitForBit(string name)
    {
        using var model = Setup.Mixture8D();
        var schedule = Setup.Discrete();
        // Ends at TMin, so stochastic solvers add noise on every step, the last one included.
        var times = Enumerable.Range(0, 9).Select(i => i == 8 ? schedule.TMin : 1.0 - i * 0.12).ToArray();
        using var initial = Setup.Initial(64, 8, seed: 1);
        using var plain = Setup.Run(Solver(name), model, schedule, initial, times);
        foreach (double pace in new[] { 1.0, 0.0 })
        {
            using var wrapped = Setup.Run(Ams(Solver(name), 0, pace), model, schedule, initial, times);
            Assert.True(Setup.SameBits(plain, wrapped), $"{name}, pace decay {pace}: rmse {Setup.Rmse(plain, wrapped)}");
        }
    }

    [Theory]
    [MemberData(nameof(OneStepSolvers))]
    public void MomentumChangesTheSamples(string name)
    {
        using var model = Setup.Mixture8D();
        var schedule = Setup.Discrete();
        var times = Setup.UniformTimes(schedule, 10);
        using var initial = Setup.Initial(64, 8, seed: 2);
        using var plain = Setup.Run(Solver(name), model, schedule, initial, times);
        using var wrapped = Setup.Run(Ams(Solver(name)), model, schedule, initial, times);
        Assert.True(wrapped.isfinite().all().item<bool>());
        Assert.True(Setup.Rmse(plain, wrapped) > 1e-3, $"{name}: AMS left the samples unchanged (rmse {Setup.Rmse(plain, wrapped)})");
    }

    [Fact]
    public void ObserverSeesEveryStepAndTheEvaluationsAreTheInnerSolvers()
    {
        using var model = Setup.Mixture8D();
        var schedule = Setup.Discrete();
        var times = Setup.UniformTimes(schedule, 6);
        var heun = new ProbabilityFlowOde(new ProbabilityFlowOdeOptions { Method = OdeMethod.Heun });
        var ams = Ams(heun);
        var observer = new StepRecorder();
        using var initial = Setup.Initial(4, 8, seed: 3);
        // The wrapper reports its inner solver's count; what counts is the model calls the run really makes.
        var denoiser = new ModelDenoiser(model, schedule);
        using var noise = new BatchNoise(11);
        using var x = ams.Sample(new SamplingContext { Model = denoiser, Times = times, Initial = initial, Noise = noise, Observer = observer });
        Assert.Equal(heun.Evaluations(times), denoiser.Evaluations);
        Assert.Equal(ams.Evaluations(times), denoiser.Evaluations);
        Assert.Equal([0, 1, 2, 3, 4, 5], observer.Steps);
        Assert.Equal(times[..^1], observer.From);
    }

    [Fact]
    public void RefusesSolversThatAreNotOneStep()
    {
        var schedule = Setup.Discrete();
        var times = Setup.UniformTimes(schedule, 10);
        foreach (var inner in new ISolver[]
                 {
                     new Pipeline.Plugins.Solvers.Dpm.DpmSolverPlusPlus(new Pipeline.Plugins.Solvers.Dpm.DpmSolverOptions()),
                     new EulerMaruyama(new EulerMaruyamaOptions()),
                 })
        {
            var problems = Ams(inner).Check(schedule, times).ToList();
            Assert.Single(problems);
            Assert.Contains("one-step", problems[0]);
        }
        Assert.Empty(Ams(new Ddim(new DdimOptions())).Check(schedule, times));
    }

    sealed class StepRecorder : Pipeline.Sampling.ISamplingObserver
    {
        public List<int> Steps { get; } = [];
        public List<double> From { get; } = [];

        public void OnStep(in Pipeline.Sampling.StepInfo step)
        {
            Steps.Add(step.Step);
            From.Add(step.TFrom);
        }
    }
}
