using Pipeline.Plugins.Solvers.Amed;
using Xunit.Abstractions;

namespace Pipeline.Tests.Amed;

/// <summary>
/// The per-sample predictor networks: trained on one set of initial noise, kept per step only where they beat the
/// table on held-out training samples, and scored on a third set against the exact flow.
/// </summary>
public class AmedNetworkTests(ITestOutputHelper output)
{
    static (AmedParameters Table, AmedParameters Network, MixtureTarget Test) Train(AmedBase kind, AmedProblem.Grid grid, int steps)
    {
        var times = AmedProblem.Times(grid, steps);
        var (train, test) = AmedProblem.Targets(times, trainCount: 1024);
        using (train)
        {
            var table = AmedProblem.Train(train, new AmedTrainerOptions { Base = kind, Score = false, Input = AmedTrainerInput.None }).Parameters;
            var network = AmedProblem.Train(train, new AmedTrainerOptions { Base = kind, Score = false, Input = AmedTrainerInput.State }).Parameters;
            return (table, network, test);
        }
    }

    [Theory]
    [InlineData(AmedBase.Ipndm, AmedProblem.Grid.LogSnr, 2)]
    [InlineData(AmedBase.Amed, AmedProblem.Grid.TimeUniform, 3)]
    public void PerSampleNetworksBeatTheTableOnHeldOutNoise(AmedBase kind, AmedProblem.Grid grid, int steps)
    {
        var (table, network, test) = Train(kind, grid, steps);
        using (test)
        {
            var times = table.Times;
            // Error() also checks that the per-sample intermediate times cost no extra evaluations.
            double tableError = test.Error(AmedProblem.Solver(table), times);
            double networkError = test.Error(AmedProblem.Solver(network), times);
            output.WriteLine($"{kind} {grid} {steps} steps: table {tableError:E3}, networks {networkError:E3}, {network.ParameterCount} parameters; " +
                             string.Join("; ", network.Steps.Select(s => s.Head is AmedHead h
                                 ? $"network {Math.Sqrt(h.HoldoutLoss!.Value):E2} vs table {Math.Sqrt(h.HoldoutTableLoss!.Value):E2}" : "table")));
            Assert.Contains(network.Steps, s => s.Head is not null);
            Assert.All(network.Steps.Where(s => s.Head is not null), s => Assert.True(s.Head!.HoldoutLoss < s.Head.HoldoutTableLoss));
            Assert.True(networkError < 0.95 * tableError, $"networks {networkError:E3} vs table {tableError:E3}");
        }
    }

    [Fact]
    public void AStepsNetworkSendsSamplesToDifferentIntermediateTimes()
    {
        var (_, network, test) = Train(AmedBase.Ipndm, AmedProblem.Grid.LogSnr, 2);
        using (test)
        {
            var (step, head) = network.Steps.Select((s, i) => (i, s.Head)).First(p => p.Head is not null);
            var model = new TestSupport.MixtureDenoiser(AmedProblem.Mixture, AmedProblem.Schedule);
            using var x = test.InitialNoise(0, test.Count);
            Assert.Equal(0, step);   // the first step reads x_T and the analytic eps
            var from = Plugins.Solvers.Shared.TimePoint.At(AmedProblem.Schedule, network.Times[0]);
            using var input = AmedHead.StateInput(x, AmedStep.AnalyticEpsilon(x, from), from);
            var (r, c) = head!.Decide(input);
            Assert.True(r.Distinct().Count() > 1, "every sample got the same r");
            Assert.All(r, v => Assert.Contains(v, head.Levels));
            Assert.All(c, v => Assert.True(v > 0 && double.IsFinite(v)));
            Assert.Equal(0, model.Evaluations);
        }
    }
}
