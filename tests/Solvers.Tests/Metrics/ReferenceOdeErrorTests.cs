using Pipeline.Metrics;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Metrics;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Tests.Amed;
using Pipeline.Tests.TestSupport;
using static TorchSharp.torch;

namespace Pipeline.Tests.Metrics;

/// <summary>The many-step reference stands in for the exact solution: on the mixture both give the same error.</summary>
public class ReferenceOdeErrorTests
{
    /// <summary>The mixture as the metric sees a run's model (unconditional: the labels are ignored).</summary>
    sealed class MixtureModel(GaussianMixture mixture, INoiseSchedule schedule) : IConditionalDenoiser
    {
        readonly MixtureDenoiser inner = new(mixture, schedule);
        public INoiseSchedule Schedule => schedule;
        public IDiffusionModel Model => throw new NotSupportedException();
        public ModelOutput Predict(Tensor x, double t, Conditioning conditioning) => inner.Predict(x, t);
    }

    static MetricContext Context(Tensor samples, Tensor initial, double[] times) =>
        new(samples, initial, new MixtureModel(AmedProblem.Mixture, AmedProblem.Schedule), times, null);

    [Fact]
    public void MatchesTheExactSolutionsErrorOnTheMixture()
    {
        var times = AmedProblem.Times(AmedProblem.Grid.TimeUniform, 10);
        using var xT = randn([64, 8], float64, generator: new Generator(4));
        var (x, _) = Harness.Run(new Ddim(new DdimOptions()), AmedProblem.Mixture, AmedProblem.Schedule, xT, times);
        using (x)
        using (var exact = ExactFlow.Solve(AmedProblem.Mixture, AmedProblem.Schedule, xT, times[0], times[^1]))
        {
            double truth = Harness.Rmse(x, exact);
            using var metric = new ReferenceOdeError(new ReferenceOdeErrorOptions { BatchSize = 40 }, RunEnvironment.Cpu with { DType = ScalarType.Float64 });
            double reference = metric.Score(Context(x, xT, times))["rmse"];
            using var coarse = new ReferenceOdeError(new ReferenceOdeErrorOptions { Steps = 10 }, RunEnvironment.Cpu with { DType = ScalarType.Float64 });
            double coarseReference = coarse.Score(Context(x, xT, times))["rmse"];
            Assert.True(Math.Abs(reference - truth) < 0.01 * truth, $"reference {reference} vs exact {truth}");
            // A reference of few steps is itself wrong: the default's accuracy is what makes the metric meaningful.
            Assert.True(Math.Abs(coarseReference - truth) > 10 * Math.Abs(reference - truth), $"10-step reference {coarseReference} vs exact {truth}");
        }
    }

    [Fact]
    public void ARunEndingAtZeroIsAnInputError()
    {
        double[] times = [1.0, 0.5, 0.0];
        using var xT = randn([4, 8], float64);
        using var metric = new ReferenceOdeError(new ReferenceOdeErrorOptions(), RunEnvironment.Cpu with { DType = ScalarType.Float64 });
        var e = Assert.Throws<PipelineInputException>(() => metric.Score(Context(xT, xT, times)));
        Assert.Contains("ends above t = 0", e.Message);
    }
}
