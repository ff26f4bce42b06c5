using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using Pipeline.Tests.Dpm;
using DpmRuns = Pipeline.Tests.Dpm.Dpm;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Kit;

/// <summary>
/// The kit's run for updates that are not one per interval: it owns x and disposes each replaced one, reports what each
/// update covers (never a clamped index), keeps x on a rejected attempt, and reports a held last update once, after the
/// final denoising step, ending at t = 0.
/// </summary>
public class SolverRunTests
{
    static readonly INoiseSchedule Schedule = DpmRuns.DiscreteLinear();

    static readonly Lazy<Pipeline.Plugins.Models.GaussianMixtureModel> Mixture3 = new(() => DpmRuns.Mixture(3));

    static SamplingContext Context(Tensor initial, ISamplingObserver observer, PluginDenoiser? model = null) => new()
    {
        Model = model ?? new PluginDenoiser(Mixture3.Value, Schedule), Times = DpmRuns.UniformTimes(Schedule, 1, Schedule.TMin, 10),
        Initial = initial, Noise = new DpmRuns.NoNoise(), Observer = observer,
    };

    static SolverStep Span(SamplingContext context, int first, int last, bool isLast = false) =>
        new(last, TimePoint.At(context.Schedule, context.Times[first]), TimePoint.At(context.Schedule, context.Times[last + 1]), isLast);

    static Tensor Halved(Tensor x)
    {
        using Scalar half = 0.5;
        return x.mul(half);
    }

    [Fact]
    public void AStepIndexOutsideTheRunIsRefusedNotClamped()
    {
        using var xT = DpmRuns.Noise(8, 3, 1);
        var observer = new StepRecorder();
        var context = Context(xT, observer);
        using var run = new SolverRun(context);
        run.Advance(Span(context, 9, 9), (x, _) => x.clone());
        var beyond = Span(context, 9, 9) with { Index = 10 };
        Assert.Throws<InvalidOperationException>(() => run.Advance(beyond, (x, _) => x.clone()));
        Assert.Throws<InvalidOperationException>(() => run.Advance(beyond with { Index = -1 }, (x, _) => x.clone()));
        Assert.Equal([9], observer.Steps.Select(s => s.Step));
        observer.Last!.Dispose();
    }

    [Fact]
    public void SpansAreReportedAsTheirLastIntervalARejectedAttemptKeepsXAndTheHeldLastStepEndsAtZero()
    {
        using var xT = DpmRuns.Noise(8, 3, 1);
        using var expected0 = xT.clone();
        var observer = new StepRecorder();
        var model = new PluginDenoiser(Mixture3.Value, Schedule);
        var context = Context(xT, observer, model);
        Tensor? given = null, made = null;
        Tensor result;
        using (var run = new SolverRun(context, denoiseAtEnd: true))
        {
            // Intervals 0..2 in one update, then a rejected attempt over 3..5, then 3..9 as the held last update.
            run.Advance(Span(context, 0, 2), (x, _) => made = Halved(given = x));
            Assert.False(run.TryAdvance(Span(context, 3, 5), (x, _) => { Halved(x); return null; }));
            Assert.False(made!.IsInvalid);
            Assert.True(run.TryAdvance(Span(context, 3, 9, isLast: true), (x, _) => Halved(x)));
            // Each replaced x is disposed (the first, the run's own alias of the initial x); the host's x stays valid.
            Assert.True(made.IsInvalid);
            Assert.True(given!.IsInvalid);
            Assert.False(xT.IsInvalid);
            Assert.Single(observer.Steps);
            using var beforeDenoise = run.X.clone();
            using var denoised = model.Predict(beforeDenoise, context.Times[^1]).Data;
            result = run.Finish();
            Assert.Equal(0, DpmRuns.MaxAbsDiff(denoised, result));
        }
        using (result)
        {
            Assert.False(result.IsInvalid);
            Assert.Equal(0, DpmRuns.MaxAbsDiff(expected0, xT));
            Assert.Equal([2, 9], observer.Steps.Select(s => s.Step));
            Assert.Equal((context.Times[0], context.Times[3]), (observer.Steps[0].TFrom, observer.Steps[0].TTo));
            Assert.Equal((context.Times[3], 0.0), (observer.Steps[1].TFrom, observer.Steps[1].TTo));
            Assert.Equal(0, DpmRuns.MaxAbsDiff(observer.Last!, result));
        }
        observer.Last!.Dispose();
    }

    [Fact]
    public void AnUpdateThatThrowsLeavesNothingBehindAndTheInitialXAlone()
    {
        using var xT = DpmRuns.Noise(8, 3, 1);
        var observer = new StepRecorder();
        var context = Context(xT, observer);
        Tensor? held = null;
        Assert.Throws<InvalidDataException>(() =>
        {
            using var run = new SolverRun(context);
            run.Advance(Span(context, 0, 0), (x, _) => Halved(x));
            held = run.X;
            run.Advance(Span(context, 1, 1), (x, _) => throw new InvalidDataException("model failed"));
        });
        Assert.True(held!.IsInvalid);
        Assert.False(xT.IsInvalid);
        observer.Last!.Dispose();
    }
}
