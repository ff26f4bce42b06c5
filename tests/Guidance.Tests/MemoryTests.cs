using Pipeline.Guidance;
using Pipeline.Plugins.Guidance.ClassifierFree;
using Pipeline.Plugins.Guidance.Classifier;
using Pipeline.Plugins.Guidance.Thresholding;
using Pipeline.Plugins.Solvers;
using Pipeline.Sampling;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>Each guided evaluation leaves only its two outputs alive; autograd graphs do not outlive the step.</summary>
public class MemoryTests
{
    static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    public static TheoryData<string> Kinds => ["cfg", "cfg-rescale", "classifier", "dynamic-threshold", "clip", "all"];

    static IConditionalDenoiser Guided(string kind, IConditionalDenoiser adapter)
    {
        IGuidance[] steps = kind switch
        {
            "cfg" => [new ClassifierFreeGuidance(new() { Scale = 3 })],
            "cfg-rescale" => [new ClassifierFreeGuidance(new() { Scale = 3, Rescale = 0.7, Space = GuidanceSpace.Data })],
            "classifier" => [new ClassifierGuidance(new() { Classifier = "gmm-posterior", Scale = 2 })],
            "dynamic-threshold" => [new DynamicThresholding(new() { Percentile = 0.9 })],
            "clip" => [new StaticClipping(new())],
            _ => [new ClassifierGuidance(new() { Classifier = "gmm-posterior" }), new ClassifierFreeGuidance(new() { Scale = 2, Start = 0.1 }),
                  new DynamicThresholding(new())],
        };
        IConditionalDenoiser d = adapter;
        foreach (var step in steps) { Assert.Empty(step.Check(d)); d = step.Wrap(d); }
        return d;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EvaluationsLeaveOnlyTheirOutputs(string kind)
    {
        using var model = Mixtures.Separated();
        var guided = Guided(kind, Mixtures.Adapter(model, Mixtures.DiscreteLinear()));
        using var x = randn([8, 2], float32, generator: new Generator(1));
        using var labels = tensor(new long[] { 0, 1, 2, -1, 0, 1, 2, 2 });
        var conditioning = new Conditioning(labels);
        var warm = guided.Predict(x, 0.5, conditioning); // per-device mixture parameters are made once
        warm.Epsilon.Dispose(); warm.Data.Dispose();

        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 5; i++)
        {
            var (eps, data) = guided.Predict(x, 0.9 - 0.15 * i, conditioning);
            Assert.Equal(2, Live);
            Assert.False(eps.requires_grad || data.requires_grad);
            eps.Dispose(); data.Dispose();
        }
        Assert.Equal(0, Live);
    }

    [Fact]
    public void AGuidedSolverRunLeavesNothingPerStep()
    {
        using var model = Mixtures.Separated();
        var schedule = Mixtures.DiscreteLinear();
        var guided = Guided("all", Mixtures.Adapter(model, schedule));
        using var initial = GuidedRuns.Noise(16, 2, seed: 2);
        var labels = Enumerable.Range(0, 16).Select(i => (long)(i % 3)).ToArray();
        long Leaked(int steps)
        {
            var times = Mixtures.LogSnrTimes(schedule, steps, schedule.TMin);
            long before = Live;
            using (var outer = NewDisposeScope())
            {
                var x = GuidedRuns.Run(new Ddim(new DdimOptions()), guided, times, initial, labels);
                // Everything the run left in the caller's scope: the result alone.
                Assert.Equal(1, outer.DisposablesCount);
            }
            return Live - before;
        }
        Leaked(2); // warm-up
        Assert.Equal(0, Leaked(3));
        Assert.Equal(0, Leaked(12));
    }
}
