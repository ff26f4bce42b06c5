using Pipeline.Plugins.Solvers;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using Pipeline.Tests.UniPc;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Deis;

/// <summary>tAB-DEIS: exactness of its coefficients on polynomial eps, convergence order, and the run contract.</summary>
public class DeisTests(ITestOutputHelper output)
{
    static ISolver Create(int order) => new Pipeline.Plugins.Solvers.Deis(new DeisOptions { Order = order });

    public static TheoryData<string> Schedules => new() { "vp-linear", "discrete", "ve" };

    static INoiseSchedule Schedule(string name) => name switch
    {
        "vp-linear" => MultistepOracle.VpLinear(),
        "discrete" => MultistepOracle.DiscreteLinear(),
        _ => new VeSchedule(),
    };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void OrderKIntegratesPolynomialEpsOfDegreeBelowKExactly(string name)
    {
        var schedule = Schedule(name);
        double scale = schedule.TMax;   // 1, or 80 for VE
        double[] history = [0.5 * scale, 0.61 * scale, 0.75 * scale];
        foreach (double t in new[] { 0.37 * scale, 0.0 })
            for (int order = 1; order <= 3; order++)
            {
                var nodes = history[..order];
                var step = DeisCoefficients.Step(schedule, nodes, t);
                double alphaT = t == 0 ? 1 : schedule.Alpha(t);
                for (int degree = 0; degree <= order; degree++)
                {
                    // P(tau) = (tau / scale - 0.3)^degree, a polynomial of exactly this degree.
                    double P(double tau) => Math.Pow(tau / scale - 0.3, degree);
                    double exact = alphaT * PolynomialEpsilon.IntegralInRho(schedule, P, nodes[0], t);
                    double tab = nodes.Select((tau, j) => step.Eps[j] * P(tau)).Sum();
                    double error = Math.Abs(tab - exact) / Math.Abs(exact);
                    output.WriteLine($"{name} t = {t}: order {order}, degree {degree}: relative error {error:E2}");
                    if (degree < order) Assert.True(error < 1e-11, $"order {order} misses degree {degree} by {error:E2} (t = {t})");
                    else Assert.True(error > 1e-6, $"order {order} integrates degree {degree} exactly ({error:E2}): the test cannot see the order");
                }
            }
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void ARunWithConstantEpsIsExactAtEveryOrder(string name)
    {
        // Every step integrates a constant exactly, warm-up steps included, so the whole run is the exact flow.
        var schedule = Schedule(name);
        double[] c = [0.7, -1.3, 0.2];
        var model = new PolynomialEpsilon(schedule, [c]);
        using var gen = new Generator(3);
        using var xT = randn([4, 3], float64, generator: gen);
        foreach (bool toZero in new[] { true, false })
            for (int order = 1; order <= 3; order++)
            {
                var times = toZero ? Harness.UniformTimes(schedule.TMax, 0, 7) : Harness.LogSnrTimes(schedule, schedule.TMax, schedule.TMin, 7);
                double t0 = times[0], t1 = times[^1];
                double alpha1 = t1 == 0 ? 1 : schedule.Alpha(t1), rho1 = t1 == 0 ? 0 : schedule.Sigma(t1) / alpha1;
                double rho0 = schedule.Sigma(t0) / schedule.Alpha(t0);
                using var shift = tensor(c.Select(v => alpha1 * (rho1 - rho0) * v).ToArray(), [1, 3], float64);
                using var exact = (xT * (alpha1 / schedule.Alpha(t0))).add_(shift);
                var context = new SamplingContext { Model = model, Times = times, Initial = xT, Noise = null! };
                using var x = Create(order).Sample(context);
                double error = Harness.Rmse(x, exact);
                Assert.True(error < 1e-12 * Math.Max(1, exact.abs().max().item<double>()), $"order {order}, to {(toZero ? "0" : "TMin")}: error {error:E2}");
            }
    }

    [Fact]
    public void OrderOneIsDdim()
    {
        var schedule = MultistepOracle.DiscreteLinear();
        var mixture = Harness.Mixture(3);
        using var gen = new Generator(9);
        using var xT = randn([6, 3], float64, generator: gen);
        foreach (var times in new[] { Harness.LogSnrTimes(schedule, 1, schedule.TMin, 9), Harness.UniformTimes(1, 0, 9) })
        {
            using var deis = Harness.Run(Create(1), mixture, schedule, xT, times).X;
            using var ddim = Harness.Run(new Ddim(new DdimOptions()), mixture, schedule, xT, times).X;
            Assert.True(Harness.Rmse(deis, ddim) < 1e-12, $"deis order 1 vs ddim: {Harness.Rmse(deis, ddim):E2}");
        }
    }

    /// <summary>
    /// vp-linear, t = 1 -> 1e-3, log-SNR steps 40 -> 80 -> 160. Measured orders: 0.96 0.98 / 1.87 1.94 / 2.75 2.88
    /// (order 3 reaches 2.92, 2.96 at 320, 640 steps on a 6-D mixture).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OrderOnVpLinear(int order)
    {
        int[] steps = [40, 80, 160];
        var errors = MultistepOracle.Problem.VpLinear.Errors(() => Create(order), steps);
        output.WriteLine(MultistepOracle.Describe(steps, errors));
        foreach (double measured in MultistepOracle.Orders(errors))
            Assert.True(Math.Abs(measured - order) < 0.3, $"measured {measured:F2}, expected {order}: {MultistepOracle.Describe(steps, errors)}");
    }

    [Fact]
    public void ErrorFallsWithEvaluationsOnDiscreteBetasAndBeatsDdim()
    {
        var schedule = MultistepOracle.DiscreteLinear();
        var mixture = Harness.Mixture(4);
        using var gen = new Generator(5);
        using var xT = randn([8, 4], float64, generator: gen);
        using var exact = ExactFlow.Solve(mixture, schedule, xT, 1, schedule.TMin, 1e-12, 1e-12);
        int[] nfe = [5, 10, 20, 40];
        double Error(ISolver solver, int n)
        {
            var (x, _) = Harness.Run(solver, mixture, schedule, xT, Harness.LogSnrTimes(schedule, 1, schedule.TMin, n));
            using (x) return Harness.Rmse(x, exact);
        }
        var deis = nfe.Select(n => Error(Create(3), n)).ToArray();
        var ddim = nfe.Select(n => Error(new Ddim(new DdimOptions()), n)).ToArray();
        output.WriteLine($"deis-3 {string.Join(", ", deis.Select(e => e.ToString("E2")))}");
        output.WriteLine($"ddim   {string.Join(", ", ddim.Select(e => e.ToString("E2")))}");
        for (int i = 1; i < nfe.Length; i++) Assert.True(deis[i] < deis[i - 1], $"error did not fall from {nfe[i - 1]} to {nfe[i]} NFE");
        for (int i = 0; i < nfe.Length; i++) Assert.True(deis[i] < ddim[i], $"deis-3 at {nfe[i]} NFE: {deis[i]:E2} vs ddim {ddim[i]:E2}");
    }
}
