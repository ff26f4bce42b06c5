using Pipeline.Plugins.Solvers;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.UniPc;

/// <summary>
/// Convergence of UniPC on the exact mixture flow (vp-linear, t = 1 -> 1e-3, steps uniform in log-SNR, 40 -> 80 -> 160
/// steps, lowerOrderFinal off). The paper claims order p for UniP-p and p + 1 with UniC. Measured (both doublings):
/// UniP-1 0.96 0.98; UniP-2 1.97 1.99 (data, bh2), 1.89 1.95 (noise, bh1); UniP-3 2.98 3.00 (data), 3.05 3.05 (noise);
/// UniPC-1 2.04 2.03 (data, bh1), 1.99 1.99 (noise, bh2); UniPC-2 2.86 2.93 (data, bh2), 2.88 2.94 (noise, bh2);
/// UniPC-3 3.81 3.95 (data), 3.74 3.89 (noise) — p + 1 holds, UniPC-3 approaching 4 from below (3.69 at 20 -> 40 steps).
/// </summary>
public class UniPcOrderTests(ITestOutputHelper output)
{
    static readonly int[] StepCounts = [40, 80, 160];

    public static TheoryData<UniPcPrediction, UniPcVariant, int, bool, int> Cases => new()
    {
        { UniPcPrediction.Data, UniPcVariant.Bh2, 1, false, 1 },
        { UniPcPrediction.Data, UniPcVariant.Bh2, 2, false, 2 },
        { UniPcPrediction.Data, UniPcVariant.Bh2, 3, false, 3 },
        { UniPcPrediction.Noise, UniPcVariant.Bh1, 2, false, 2 },
        { UniPcPrediction.Noise, UniPcVariant.Bh2, 3, false, 3 },
        { UniPcPrediction.Data, UniPcVariant.Bh1, 1, true, 2 },
        { UniPcPrediction.Noise, UniPcVariant.Bh2, 1, true, 2 },
        { UniPcPrediction.Data, UniPcVariant.Bh2, 2, true, 3 },
        { UniPcPrediction.Noise, UniPcVariant.Bh1, 2, true, 3 },
        { UniPcPrediction.Data, UniPcVariant.Bh2, 3, true, 4 },
        { UniPcPrediction.Noise, UniPcVariant.Bh1, 3, true, 4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OrderOnVpLinear(UniPcPrediction prediction, UniPcVariant variant, int order, bool corrector, int expected)
    {
        var options = new UniPcOptions
        {
            Prediction = prediction, Variant = variant, Order = order, Corrector = corrector, LowerOrderFinal = false,
        };
        var errors = MultistepOracle.Problem.VpLinear.Errors(() => new Pipeline.Plugins.Solvers.UniPc(options), StepCounts);
        output.WriteLine(MultistepOracle.Describe(StepCounts, errors));
        foreach (double measured in MultistepOracle.Orders(errors))
            Assert.True(Math.Abs(measured - expected) < 0.3,
                $"measured order {measured:F2}, expected {expected}: {MultistepOracle.Describe(StepCounts, errors)}");
    }

    [Fact]
    public void BhVariantsDifferOnlyWhereASingleCoefficientIsUsed()
    {
        // Square order-condition systems make B(h) a independent of B, so the step weights of UniP-1, UniP-3, UniC-2
        // and UniC-3 agree for bh1 and bh2; UniP-2 and UniC-1 take a = 1/2 and differ.
        foreach (var schedule in new[] { MultistepOracle.VpLinear(), MultistepOracle.DiscreteLinear() })
            foreach (var prediction in new[] { UniPcPrediction.Data, UniPcPrediction.Noise })
            {
                var points = Pipeline.SolverKit.TimePoint.Along(schedule, Harness.LogSnrTimes(schedule, 1, schedule.TMin, 8));
                UniPcStep[] Plan(UniPcVariant variant) => UniPcCoefficients.Plan(
                    new UniPcOptions { Order = 3, Prediction = prediction, Variant = variant, LowerOrderFinal = false }, points);
                var (bh1, bh2) = (Plan(UniPcVariant.Bh1), Plan(UniPcVariant.Bh2));
                for (int i = 0; i < bh1.Length; i++)
                {
                    Assert.Equal(bh1[i].Order, bh2[i].Order);
                    double predictor = MaxDifference(bh1[i].Predictor, bh2[i].Predictor);
                    double corrector = MaxDifference([.. bh1[i].Corrector, bh1[i].CorrectorNew], [.. bh2[i].Corrector, bh2[i].CorrectorNew]);
                    output.WriteLine($"{prediction} step {i} order {bh1[i].Order}: predictor {predictor:E2}, corrector {corrector:E2}");
                    if (bh1[i].Order == 2) Assert.True(predictor > 1e-4, $"step {i}: UniP-2 weights agree");
                    else Assert.True(predictor < 1e-12, $"step {i}: UniP-{bh1[i].Order} weights differ by {predictor:E2}");
                    if (!bh1[i].Corrects) continue;
                    if (bh1[i].Order == 1) Assert.True(corrector > 1e-4, $"step {i}: UniC-1 weights agree");
                    else Assert.True(corrector < 1e-12, $"step {i}: UniC-{bh1[i].Order} weights differ by {corrector:E2}");
                }
            }
    }

    static double MaxDifference(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs(x - y) / Math.Max(1, Math.Abs(x))).DefaultIfEmpty(0).Max();
    }

    [Fact]
    public void ErrorFallsWithEvaluationsOnDiscreteBetasAndBeatsDdim()
    {
        // Few-step regime on the discrete schedule of DDPM, t = 1 -> 1/N in log-SNR, default options.
        var schedule = MultistepOracle.DiscreteLinear();
        var mixture = Harness.Mixture(4);
        using var gen = new Generator(5);
        using var xT = randn([8, 4], float64, generator: gen);
        using var exact = ExactFlow.Solve(mixture, schedule, xT, 1, schedule.TMin, 1e-12, 1e-12);
        int[] nfe = [5, 10, 20, 40];
        double Error(Pipeline.Solvers.ISolver solver, int n)
        {
            var (x, _) = Harness.Run(solver, mixture, schedule, xT, Harness.LogSnrTimes(schedule, 1, schedule.TMin, n));
            using (x) return Harness.Rmse(x, exact);
        }
        var unipc = nfe.Select(n => Error(new Pipeline.Plugins.Solvers.UniPc(new UniPcOptions()), n)).ToArray();
        var unipc3 = nfe.Select(n => Error(new Pipeline.Plugins.Solvers.UniPc(new UniPcOptions { Order = 3 }), n)).ToArray();
        var ddim = nfe.Select(n => Error(new Ddim(new DdimOptions()), n)).ToArray();
        output.WriteLine($"unipc-2 {string.Join(", ", unipc.Select(e => e.ToString("E2")))}");
        output.WriteLine($"unipc-3 {string.Join(", ", unipc3.Select(e => e.ToString("E2")))}");
        output.WriteLine($"ddim    {string.Join(", ", ddim.Select(e => e.ToString("E2")))}");
        for (int i = 1; i < nfe.Length; i++)
        {
            Assert.True(unipc[i] < unipc[i - 1], $"unipc-2 error did not fall from {nfe[i - 1]} to {nfe[i]} NFE");
            Assert.True(unipc3[i] < unipc3[i - 1], $"unipc-3 error did not fall from {nfe[i - 1]} to {nfe[i]} NFE");
        }
        for (int i = 0; i < nfe.Length; i++) Assert.True(unipc[i] < ddim[i] / 2, $"unipc-2 at {nfe[i]} NFE: {unipc[i]:E2} vs ddim {ddim[i]:E2}");
    }
}
