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
            // The trainer keeps a network only where its recorded held-out loss is below the table's, so recompute both
            // without the trainer: through the solver, against the exact flow, on the held-out training samples (every
            // fifth, holdout = 0.2).
            using var train = new MixtureTarget(AmedProblem.Mixture, AmedProblem.Schedule, times, 1024, seed: 1);
            using var all = train.InitialNoise(0, train.Count);
            using var heldIndex = TorchSharp.torch.tensor(Enumerable.Range(0, train.Count).Where(b => b % 5 == 4).Select(b => (long)b).ToArray());
            using var held = all.index_select(0, heldIndex);
            for (int i = 0; i < network.Steps.Length; i++)
            {
                if (network.Steps[i].Head is not AmedHead head) continue;
                double withNetwork = AmedProblem.StepError(network, i, network.Steps[i], held);
                double withTable = AmedProblem.StepError(network, i, new AmedStepParameters { R = network.Steps[i].R, C = network.Steps[i].C }, held);
                output.WriteLine($"step {i + 1} held out: network recorded {head.HoldoutLoss:E4} recomputed {withNetwork:E4}, table recorded {head.HoldoutTableLoss:E4} recomputed {withTable:E4}");
                Assert.True(Math.Abs(withNetwork / head.HoldoutLoss!.Value - 1) < 0.02, $"step {i + 1}: network {withNetwork:E4} vs recorded {head.HoldoutLoss:E4}");
                Assert.True(Math.Abs(withTable / head.HoldoutTableLoss!.Value - 1) < 0.02, $"step {i + 1}: table {withTable:E4} vs recorded {head.HoldoutTableLoss:E4}");
                Assert.True(withNetwork < withTable, $"step {i + 1}: the kept network {withNetwork:E4} is not below the table {withTable:E4}");
            }
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
            var from = Pipeline.SolverKit.TimePoint.At(AmedProblem.Schedule, network.Times[0]);
            using var input = AmedHead.StateInput(x, AmedStep.AnalyticEpsilon(x, from), from);
            var (r, c) = head!.Decide(input);
            Assert.True(r.Distinct().Count() > 1, "every sample got the same r");
            Assert.All(r, v => Assert.Contains(v, head.Levels));
            Assert.All(c, v => Assert.True(v > 0 && double.IsFinite(v)));
            Assert.Equal(0, model.Evaluations);
        }
    }
}
