using Pipeline.Plugins.Schedules;
using Pipeline.Schedules;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Classic;

/// <summary>
/// Convergence orders against the exact probability-flow solution of a 6-D, 3-component mixture (32 samples, float64).
/// The order is log2 of the error ratio when the steps double. Grids: the continuous vp-linear schedule from t = 1 to
/// 1e-3 uniform in log-SNR; EDM from sigma = 80 to 0.002 on Karras et al.'s rho = 7 steps; and EDM from sigma = 2 to
/// 0.5 uniform in sigma, where the fixed Adams-Bashforth weights of PNDM are the right ones (equal steps in rho).
/// </summary>
public class ClassicOrderTests(ITestOutputHelper output)
{
    static readonly INoiseSchedule VpLinear = new VpLinearSchedule(new VpLinearScheduleOptions());
    static readonly INoiseSchedule Edm = new EdmSchedule(new EdmScheduleOptions());

    static (INoiseSchedule Schedule, Func<int, double[]> Grid) Setting(string grid) => grid switch
    {
        "vp-logsnr" => (VpLinear, n => Harness.LogSnrTimes(VpLinear, 1, 1e-3, n)),
        "edm-karras" => (Edm, n => KarrasSigmas.Sigmas(n + 1, 0.002, 80, 7)),
        "edm-uniform" => (Edm, n => Harness.UniformTimes(2, 0.5, n)),
        _ => throw new ArgumentException(grid),
    };

    double[] Errors(string solver, string grid, int[] counts)
    {
        var (schedule, times) = Setting(grid);
        var mixture = Harness.Mixture(6);
        using var gen = new Generator(11);
        using var z = randn([32, 6], float64, generator: gen);
        double t0 = times(1)[0], t1 = times(1)[^1];
        using var xT = z * (schedule.Sigma(t0) > 1 ? schedule.Sigma(t0) : 1.0);
        using var exact = ExactFlow.Solve(mixture, schedule, xT, t0, t1, rtol: 1e-13, atol: 1e-14);
        var errors = counts.Select(n =>
        {
            var (x, _) = Harness.Run(ClassicSolvers.Create(solver), mixture, schedule, xT, times(n));
            using (x) return Harness.Rmse(x, exact);
        }).ToArray();
        output.WriteLine($"{solver} on {grid}, steps {string.Join(", ", counts)}: errors " +
            string.Join(", ", errors.Select(e => e.ToString("E3"))) + "; orders " + string.Join(", ", Orders(errors).Select(o => o.ToString("F2"))));
        return errors;
    }

    static double[] Orders(double[] errors) => errors.Skip(1).Select((e, i) => Math.Log2(errors[i] / e)).ToArray();

    static void AssertOrders(double[] errors, double expected, double tolerance = 0.3)
    {
        foreach (double measured in Orders(errors))
            Assert.True(Math.Abs(measured - expected) < tolerance,
                $"order {measured:F2}, expected {expected} within {tolerance}; errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}");
    }

    /// <summary>Measured (vp-logsnr / edm-karras, 50 -> 100 -> 200 steps): euler 0.98, 0.99 / 0.98, 0.99; heun 2.03, 2.02 / 2.03, 2.01.</summary>
    [Theory]
    [InlineData("euler", "vp-logsnr", 1)]
    [InlineData("euler", "edm-karras", 1)]
    [InlineData("heun", "vp-logsnr", 2)]
    [InlineData("heun", "edm-karras", 2)]
    public void KarrasEulerAndHeunWithoutChurn(string solver, string grid, int order) =>
        AssertOrders(Errors(solver, grid, [50, 100, 200]), order);

    /// <summary>
    /// k-diffusion's LMS puts its Lagrange weights on the actual steps, so it is a 4th-order Adams-Bashforth method on any
    /// smooth grid. Its first steps are of order 1, 2, 3; an Euler first step would cap the global order at 2, but at
    /// sigma = 80 the flow is almost linear in sigma and that error stays far below the rest (measured 100 -> 200 -> 400:
    /// 3.76, 3.87 on vp-logsnr; 3.77, 3.88 on edm-karras). On the sigma-uniform grid from 2, where the flow is curved at
    /// the start, the same warm-up shows: 2.03, 2.01 there, exactly like ipndm.
    /// </summary>
    [Theory]
    [InlineData("vp-logsnr")]
    [InlineData("edm-karras")]
    public void LmsIsFourthOrderOnSmoothGridsThatStartAtHighNoise(string grid) =>
        AssertOrders(Errors("lms", grid, [100, 200, 400]), 4);

    /// <summary>
    /// PNDM, PLMS and iPNDM combine their slopes with the fixed Adams-Bashforth weights of equal steps in rho = sigma / alpha.
    /// On unequal steps (here log-SNR steps on VP, rho = 7 steps on EDM) the weights match the Taylor terms of the step
    /// only up to the first derivative: the local error is then h^3 (h dh), and the global order is 2 whatever the
    /// warm-up. Measured 50 -> 100 -> 200: 1.98-2.00 for all three on both grids.
    /// </summary>
    [Theory]
    [InlineData("pndm", "vp-logsnr")]
    [InlineData("plms", "vp-logsnr")]
    [InlineData("ipndm", "vp-logsnr")]
    [InlineData("pndm", "edm-karras")]
    [InlineData("plms", "edm-karras")]
    [InlineData("ipndm", "edm-karras")]
    public void PseudoLinearMultistepIsSecondOrderOnUnequalSteps(string solver, string grid) =>
        AssertOrders(Errors(solver, grid, [50, 100, 200]), 2);

    /// <summary>
    /// On steps equal in rho ("their variable") the pseudo linear multistep is the 4th-order Adams-Bashforth method, and
    /// the warm-up decides the global order: pndm's pseudo Runge-Kutta start is classical RK4 in rho (the half step in t
    /// is the half step in sigma on EDM), so pndm is of order 4 (measured 50 -> 100 -> 200 -> 400: 3.76, 3.90, 3.95);
    /// plms starts with a pseudo improved Euler step (local error h^3), which caps it at 3 in the limit but costs little
    /// here (3.75, 3.87, 3.85, then 3.67 at 800); ipndm starts with an Euler step (local error h^2) and is of order 2
    /// (2.11, 2.03, 2.01). At 200 steps: pndm 2.5e-8, plms 2.6e-8, ipndm 1.1e-6.
    /// </summary>
    [Fact]
    public void OnEqualStepsInRhoTheWarmUpSetsTheOrder()
    {
        int[] counts = [50, 100, 200];
        var pndm = Errors("pndm", "edm-uniform", counts);
        var plms = Errors("plms", "edm-uniform", counts);
        var ipndm = Errors("ipndm", "edm-uniform", counts);
        AssertOrders(pndm, 4);
        foreach (double order in Orders(plms))
            Assert.True(order > 3 - 0.3 && order < 4 + 0.3, $"plms order {order:F2} outside [2.7, 4.3]");
        AssertOrders(ipndm, 2);
        Assert.True(pndm[^1] <= plms[^1] && plms[^1] < ipndm[^1] / 10,
            $"at {counts[^1]} steps: pndm {pndm[^1]:E2}, plms {plms[^1]:E2}, ipndm {ipndm[^1]:E2}");
    }
}
