using Pipeline.Plugins.Solvers;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Tests.TestSupport;
using Pipeline.Tests.UniPc;
using Xunit.Abstractions;

namespace Pipeline.Tests.Deis;

/// <summary>
/// DEIS with eps extrapolated in log rho ('logrho'): its closed-form coefficients against an independent quadrature,
/// and its order plan. Its agreement with diffusers' DEISMultistepScheduler is in DiffusersParityTests.
/// </summary>
public class DeisLogRhoTests(ITestOutputHelper output)
{
    public static TheoryData<string> Schedules => new() { "vp-linear", "discrete", "ve" };

    static INoiseSchedule Schedule(string name) => name switch
    {
        "vp-linear" => MultistepOracle.VpLinear(),
        "discrete" => MultistepOracle.DiscreteLinear(),
        _ => new VeSchedule(),
    };

    static double Rho(INoiseSchedule schedule, double t) => schedule.Sigma(t) / schedule.Alpha(t);

    /// <summary>
    /// alpha_t int_{rho_s}^{rho_t} P(log rho) d rho = alpha_t int_{u_s}^{u_t} P(u) e^u du by Gauss-Legendre on unit
    /// panels in u; into t = 0 the lower end is u_s - 60, where e^u is below 1e-26 of e^(u_s).
    /// </summary>
    static double Exact(INoiseSchedule schedule, Func<double, double> p, double s, double t)
    {
        double uS = Math.Log(Rho(schedule, s));
        double uT = t == 0 ? uS - 60 : Math.Log(Rho(schedule, t));
        double alphaT = t == 0 ? 1 : schedule.Alpha(t);
        var rule = new GaussLegendre(16);
        int panels = (int)Math.Ceiling(uS - uT);
        double sum = 0;
        for (int k = 0; k < panels; k++)
        {
            double a = uT + (uS - uT) * k / panels, b = uT + (uS - uT) * (k + 1) / panels;
            sum += rule.Integrate(u => p(u) * Math.Exp(u), a, b);
        }
        return -alphaT * sum;   // from u_s down to u_t
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void OrderKIntegratesPolynomialsInLogRhoOfDegreeBelowKExactly(string name)
    {
        var schedule = Schedule(name);
        double scale = schedule.TMax;
        double[] history = [0.5 * scale, 0.61 * scale, 0.75 * scale];
        foreach (double t in new[] { 0.37 * scale, 0.0 })
            for (int order = 1; order <= 3; order++)
            {
                var nodes = history[..order];
                var step = DeisLogRho.Step(schedule, nodes, t);
                for (int degree = 0; degree <= order; degree++)
                {
                    // P(u) = (u - 0.4)^degree in u = log rho, exactly this degree.
                    double P(double u) => Math.Pow(u - 0.4, degree);
                    double exact = Exact(schedule, P, nodes[0], t);
                    double ours = nodes.Select((tau, j) => step.Eps[j] * P(Math.Log(Rho(schedule, tau)))).Sum();
                    double error = Math.Abs(ours - exact) / Math.Abs(exact);
                    output.WriteLine($"{name} t = {t}: order {order}, degree {degree}: relative error {error:E2}");
                    if (degree < order) Assert.True(error < 1e-11, $"order {order} misses degree {degree} by {error:E2} (t = {t})");
                    else Assert.True(error > 1e-6, $"order {order} integrates degree {degree} exactly ({error:E2}): the test cannot see the order");
                }
                double alphaS = schedule.Alpha(nodes[0]), alphaT = t == 0 ? 1 : schedule.Alpha(t);
                Assert.True(Math.Abs(step.XWeight - alphaT / alphaS) <= 1e-14 * alphaT / alphaS, $"x weight {step.XWeight}");
            }
    }

    [Fact]
    public void OrderOneIsTheTabFirstOrderStep()
    {
        // Both variants integrate a constant eps exactly, so their first-order steps are the same (DDIM).
        var schedule = MultistepOracle.DiscreteLinear();
        foreach (double t in new[] { 0.3, 0.0 })
        {
            var logRho = DeisLogRho.Step(schedule, [0.6], t);
            var tab = DeisCoefficients.Step(schedule, [0.6], t);
            Assert.True(Math.Abs(logRho.Eps[0] - tab.Eps[0]) <= 1e-12 * Math.Abs(tab.Eps[0]), $"t = {t}: {logRho.Eps[0]} vs {tab.Eps[0]}");
        }
    }

    [Fact]
    public void LowerOrderFinalDefaultsToDiffusersRuleForLogRhoOnly()
    {
        var schedule = MultistepOracle.DiscreteLinear();
        int[] Orders(DeisOptions o, int steps)
        {
            var times = Enumerable.Range(0, steps + 1).Select(i => 1 - i * (1 - 1e-3) / steps).ToArray();
            return DeisCoefficients.Plan(schedule, times, o).Select(s => s.Eps.Length).ToArray();
        }
        var logRho = new DeisOptions { Order = 3, Variant = DeisVariant.Logrho };
        Assert.Equal([1, 2, 3, 3, 3, 3, 3, 3, 2, 1], Orders(logRho, 10));
        Assert.Equal([1, 2, .. Enumerable.Repeat(3, 13)], Orders(logRho, 15));
        Assert.Equal([1, 2, 3, 3, 3, 3, 3, 3, 3, 3], Orders(new DeisOptions { Order = 3 }, 10));
        Assert.Equal([1, 2, 3, 3, 3, 3, 3, 3, 3, 3], Orders(new DeisOptions { Order = 3, Variant = DeisVariant.Logrho, LowerOrderFinal = false }, 10));
        Assert.Equal([1, 2, .. Enumerable.Repeat(3, 16), 2, 1], Orders(new DeisOptions { Order = 3, LowerOrderFinal = true }, 20));
    }
}
