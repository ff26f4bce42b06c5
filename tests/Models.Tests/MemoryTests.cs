using Pipeline.Models;
using Pipeline.Plugins.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>Every temporary of the oracle and the models is disposed: only the returned tensor stays alive.</summary>
public class MemoryTests
{
    static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    static void AssertNoLeak(Func<Tensor> work)
    {
        work().Dispose(); // warm-up: per-device parameter tensors are made once and kept
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 3; i++)
        {
            using var result = work();
        }
        Assert.Equal(0, Live);
    }

    [Fact]
    public void MixtureEvaluationsLeaveNothingBehind()
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([16, 3], float32, generator: new Generator(1));
        using var labels = tensor(new long[] { 0, -1, 1, 2, 0, -1, 1, 2, 0, -1, 1, 2, 0, -1, 1, 2 });
        AssertNoLeak(() => gmm.Epsilon(x, 0.8, 0.6));
        AssertNoLeak(() => gmm.Epsilon(x, 0.8, 0.6, labels));
        AssertNoLeak(() => gmm.Score(x, 0.8, 0.6));
        AssertNoLeak(() => gmm.Responsibilities(x, 0.8, 0.6));
        AssertNoLeak(() => gmm.LogDensity(x, 0.8, 0.6));
        AssertNoLeak(() =>
        {
            var (samples, components) = gmm.Sample(10, new Generator(2));
            components.Dispose();
            return samples;
        });
    }

    [Fact]
    public void ProbabilityFlowLeavesNothingBehind()
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([8, 3], float64, generator: new Generator(3));
        AssertNoLeak(() => ExactProbabilityFlow.Solve(gmm, new LinearVpSchedule(), x, 1.0, 0.0, 1e-6, 1e-6));
    }

    [Fact]
    public void ModelForwardLeavesNothingBehind()
    {
        using var gmm = new GaussianMixtureModel(new GaussianMixtureOptions
        {
            Weights = GaussianMixtureTests.Weights, Means = GaussianMixtureTests.Means, Stds = GaussianMixtureTests.Stds, Conditional = true,
        });
        using var x = randn([4, 3], float32, generator: new Generator(4));
        using var labels = tensor(new long[] { 0, -1, 2, 1 });
        var time = new ModelTime(0.5, 0.8, 0.6, 0.5);
        AssertNoLeak(() => gmm.Forward(x, time, labels));

        using var script = new TorchScriptModel(
            new TorchScriptModelOptions { Path = "gmm_eps_cond.pt", Classes = 3, SampleShape = [2] },
            new Sampling.RunEnvironment(CPU, float64, MixtureFixture.Directory));
        using var x2 = randn([4, 2], float32, generator: new Generator(5));
        AssertNoLeak(() => script.Forward(x2, time with { Input = 499.5 }, labels));
        AssertNoLeak(() => script.Forward(x2, time with { Input = 499.5 }, null));
    }
}
