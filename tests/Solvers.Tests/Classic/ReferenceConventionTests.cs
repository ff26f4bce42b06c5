using Pipeline.Plugins.Schedules;
using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Karras;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using static TorchSharp.torch;

namespace Pipeline.Tests.Classic;

/// <summary>
/// The classic solvers against the conventions of the code users compare them with, re-derived here in plain doubles
/// from the published formulas (diffusers' PNDMScheduler; k-diffusion's sample_heun and sample_lms; classical RK4),
/// and against the project's own solvers where the methods coincide.
/// </summary>
public class ReferenceConventionTests
{
    static readonly GaussianMixture Mixture = Harness.Mixture(3);
    static readonly INoiseSchedule VpLinear = new VpLinearSchedule(new VpLinearScheduleOptions());
    static readonly INoiseSchedule Edm = new EdmSchedule(new EdmScheduleOptions());

    static Tensor Initial(double scale, int batch = 6, ulong seed = 1)
    {
        using var gen = new Generator(seed);
        using var z = randn([batch, 3], float64, generator: gen);
        return z * scale;
    }

    static Tensor Run(string name, INoiseSchedule schedule, Tensor xT, double[] times, INoiseSource? noise = null) =>
        Harness.Run(ClassicSolvers.Create(name), Mixture, schedule, xT, times, noise).X;

    static Tensor Run(ISolver solver, INoiseSchedule schedule, Tensor xT, double[] times) =>
        Harness.Run(solver, Mixture, schedule, xT, times).X;

    static void AssertClose(Tensor a, Tensor b, double tolerance)
    {
        double rmse = Harness.Rmse(a, b);
        Assert.True(rmse < tolerance, $"rmse {rmse:E2} >= {tolerance:E0}");
    }

    static double[][] Rows(Tensor x)
    {
        using var c = x.to_type(float64).contiguous();
        var data = c.data<double>().ToArray();
        int d = (int)c.shape[1];
        return Enumerable.Range(0, (int)c.shape[0]).Select(b => data.AsSpan(b * d, d).ToArray()).ToArray();
    }

    static Tensor FromRows(double[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length], float64);

    /// <summary>eps of the mixture for the scaled variable y = x / alpha at noise level rho (alpha = 1, sigma = rho).</summary>
    static double[] Eps(double[] y, double rho) => ExactFlow.Epsilon(Mixture, y, 1, rho);

    static double[] Axpy(double[] y, double a, double[] d) => y.Select((v, j) => v + a * d[j]).ToArray();

    [Fact]
    public void EulerWithoutChurnIsDdim()
    {
        using var xT = Initial(1);
        foreach (var times in new[] { Harness.LogSnrTimes(VpLinear, 1, 1e-3, 12), Harness.UniformTimes(1, 0, 12) })
        {
            using var euler = Run("euler", VpLinear, xT, times);
            using var ddim = Run(new Ddim(new DdimOptions()), VpLinear, xT, times);
            AssertClose(euler, ddim, 1e-12);
        }
    }

    [Fact]
    public void HeunWithoutChurnOnVeIsHeunInTime()
    {
        // alpha = 1, sigma = t: the probability-flow ODE is dx/dt = eps, so Heun in sigma and Heun in t coincide.
        INoiseSchedule ve = new TestSupport.VeSchedule();
        using var xT = Initial(80);
        var pfHeun = new ProbabilityFlowOde(new ProbabilityFlowOdeOptions { Method = OdeMethod.Heun });
        foreach (var times in new[] { Harness.LogSnrTimes(ve, 80, 0.002, 10), [.. Harness.LogSnrTimes(ve, 80, 0.002, 9), 0] })
        {
            using var heun = Run("heun", ve, xT, times);
            using var reference = Run(pfHeun, ve, xT, times);
            AssertClose(heun, reference, 1e-11);
        }
    }

    [Fact]
    public void FirstOrderMultistepsAreDdim()
    {
        using var xT = Initial(1);
        var times = Harness.LogSnrTimes(VpLinear, 1, 1e-3, 9).Append(0).ToArray();
        using var ddim = Run(new Ddim(new DdimOptions()), VpLinear, xT, times);
        foreach (var name in new[] { "lms-1", "ipndm-1" })
        {
            using var x = Run(name, VpLinear, xT, times);
            AssertClose(x, ddim, 1e-12);
        }
    }

    [Fact]
    public void LmsIsIPndmOnEqualStepsInSigma()
    {
        // Lagrange weights on equal steps are the Adams-Bashforth weights, and both warm up with orders 1, 2, 3.
        using var xT = Initial(2);
        var times = Harness.UniformTimes(2, 0.5, 20);
        using var lms = Run("lms", Edm, xT, times);
        using var ipndm = Run("ipndm", Edm, xT, times);
        AssertClose(lms, ipndm, 1e-12);
    }

    [Fact]
    public void PlmsFirstStepIsHeunInTheScaledVariable()
    {
        // Pseudo improved Euler (Liu et al. 2022) with the DDIM transfer = Heun for x / alpha in sigma / alpha.
        using var xT = Initial(1);
        using var plms = Run("plms", VpLinear, xT, [0.8, 0.6]);
        using var heun = Run("heun", VpLinear, xT, [0.8, 0.6]);
        AssertClose(plms, heun, 1e-13);
    }

    [Fact]
    public void PndmWarmUpStepIsClassicalRungeKuttaInSigma()
    {
        // On EDM (alpha = 1, sigma = t) PNDM's half step in t is the half step in sigma: eq. (13) is RK4 for dy/dsigma = eps.
        using var xT = Initial(2);
        double s0 = 2.0, h = -0.5;
        var expected = Rows(xT).Select(y =>
        {
            var k1 = Eps(y, s0);
            var k2 = Eps(Axpy(y, h / 2, k1), s0 + h / 2);
            var k3 = Eps(Axpy(y, h / 2, k2), s0 + h / 2);
            var k4 = Eps(Axpy(y, h, k3), s0 + h);
            return y.Select((v, j) => v + h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j])).ToArray();
        }).ToArray();
        using var pndm = Run("pndm", Edm, xT, [s0, s0 + h]);
        using var reference = FromRows(expected);
        AssertClose(pndm, reference, 1e-13);
    }

    /// <summary>
    /// k-diffusion's sample_heun (Karras et al. 2022, Algorithm 2) run in sigma on the denoiser D(y, sigma) = y - sigma eps:
    /// with y = x / alpha and sigma = sigma(t) / alpha(t), our heun on a VP schedule must give the same y, churn included
    /// (same normal draws, in the scaled variable).
    /// </summary>
    [Fact]
    public void HeunMatchesKDiffusionSampleHeunInTheScaledVariable()
    {
        var options = new ChurnOptions { SChurn = 2, STmin = 0.1, STmax = 10, SNoise = 1.007 };
        double[] rho = [.. KarrasSigmas.Sigmas(8, 0.05, 20, 7), 0];
        var times = rho.Select(r => r == 0 ? 0 : VpLinear.TimeOfNoiseRatio(r)).ToArray();
        using var xT = Initial(VpLinear.Alpha(times[0]) * 20);
        var draws = new RecordedNoise(7);
        using var x = Harness.Run(new KarrasHeun(options), Mixture, VpLinear, xT, times, draws).X;

        // The reference, in y and sigma.
        int n = rho.Length - 1, draw = 0;
        var y = Rows(xT).Select(r => r.Select(v => v / VpLinear.Alpha(times[0])).ToArray()).ToArray();
        for (int i = 0; i < n; i++)
        {
            double gamma = options.STmin <= rho[i] && rho[i] <= options.STmax!.Value ? Math.Min(options.SChurn / n, Math.Sqrt(2) - 1) : 0;
            double hat = rho[i] * (gamma + 1);
            double[][]? z = gamma > 0 ? Rows(draws.Drawn[draw++]) : null;
            for (int b = 0; b < y.Length; b++)
            {
                var yb = z is null ? y[b] : Axpy(y[b], Math.Sqrt(hat * hat - rho[i] * rho[i]) * options.SNoise, z[b]);
                var d = Eps(yb, hat);   // (y - D) / sigma
                double dt = rho[i + 1] - hat;
                if (rho[i + 1] == 0) { y[b] = Axpy(yb, dt, d); continue; }
                var y2 = Axpy(yb, dt, d);
                var d2 = Eps(y2, rho[i + 1]);
                y[b] = yb.Select((v, j) => v + dt * (d[j] + d2[j]) / 2).ToArray();
            }
        }
        Assert.Equal(draw, draws.Drawn.Count);
        Assert.True(draw > 0 && draw < n, $"{draw} churned steps: the test should churn some steps and not others");
        using var reference = FromRows(y);
        AssertClose(x, reference, 1e-10);
        draws.Dispose();
    }

    /// <summary>
    /// k-diffusion's sample_lms: x += sum_j c_j d_{i-j}, c_j the integral from sigma_i to sigma_{i+1} of the Lagrange basis
    /// polynomial of node sigma_{i-j} (here by composite Simpson on 2000 panels, exact for these cubics), order
    /// min(i + 1, 4), and an ordinary step into sigma = 0. Run in y = x / alpha and sigma / alpha on the VP schedule.
    /// </summary>
    [Fact]
    public void LmsMatchesKDiffusionSampleLmsInTheScaledVariable()
    {
        double[] rho = [.. KarrasSigmas.Sigmas(10, 0.02, 50, 7), 0];
        var times = rho.Select(r => r == 0 ? 0 : VpLinear.TimeOfNoiseRatio(r)).ToArray();
        using var xT = Initial(VpLinear.Alpha(times[0]) * 50);
        using var x = Run("lms", VpLinear, xT, times);

        var y = Rows(xT).Select(r => r.Select(v => v / VpLinear.Alpha(times[0])).ToArray()).ToArray();
        var ds = y.Select(_ => new List<double[]>()).ToArray();
        for (int i = 0; i < rho.Length - 1; i++)
        {
            int order = Math.Min(i + 1, 4);
            var coefficients = Enumerable.Range(0, order).Select(j => Simpson(tau =>
            {
                double p = 1;
                for (int k = 0; k < order; k++)
                    if (k != j) p *= (tau - rho[i - k]) / (rho[i - j] - rho[i - k]);
                return p;
            }, rho[i], rho[i + 1], 2000)).ToArray();
            for (int b = 0; b < y.Length; b++)
            {
                ds[b].Add(Eps(y[b], rho[i]));
                for (int j = 0; j < order; j++) y[b] = Axpy(y[b], coefficients[j], ds[b][^(j + 1)]);
            }
        }
        using var reference = FromRows(y);
        AssertClose(x, reference, 1e-10);
    }

    static double Simpson(Func<double, double> f, double a, double b, int panels)
    {
        double h = (b - a) / panels, sum = f(a) + f(b);
        for (int k = 1; k < panels; k++) sum += f(a + k * h) * (k % 2 == 1 ? 4 : 2);
        return sum * h / 3;
    }

    /// <summary>
    /// diffusers' PNDMScheduler on the discrete linear-beta schedule (1000 steps, steps_offset 0, set_alpha_to_one = true),
    /// with and without skip_prk_steps, against our pndm and plms on the times t = (k + 1) / 1000 of its timesteps k and a
    /// final t = 0. The reference keeps diffusers' bookkeeping: set_timesteps' prk_timesteps (each of the last four
    /// timesteps with its half step k + ratio / 2, pairs repeated) and plms_timesteps (the second timestep repeated when
    /// skipping), step_prk's counter (stage = counter % 4; the sub-step goes to k - ratio / 2 on even counters, to the
    /// given timestep on odd ones, always from prk_timesteps[counter / 4 * 4]), step_plms' ets and its counter-1 special
    /// case, and _get_prev_sample's eq. (9). alphas_cumprod are in double here (float32 in diffusers).
    /// </summary>
    [Theory]
    [InlineData(false, 10)]
    [InlineData(true, 10)]
    [InlineData(false, 20)]
    public void PndmAndPlmsFollowDiffusersPndmScheduler(bool skipPrkSteps, int steps)
    {
        const int trainSteps = 1000;
        int ratio = trainSteps / steps;
        var cumprod = new double[trainSteps];
        double product = 1;
        for (int k = 0; k < trainSteps; k++) cumprod[k] = product *= 1 - (1e-4 + (0.02 - 1e-4) * k / (trainSteps - 1));

        int[] ascending = Enumerable.Range(0, steps).Select(i => i * ratio).ToArray();
        List<int> prk = [], plms;
        if (skipPrkSteps)
            plms = [.. ascending[..^1], ascending[^2], ascending[^1]];
        else
        {
            int[] withHalves = ascending[^4..].SelectMany(k => new[] { k, k + ratio / 2 }).ToArray()[..^1];
            prk = [.. withHalves.SelectMany(k => new[] { k, k }).ToArray()[1..^1]];
            prk.Reverse();
            plms = [.. ascending[..^3]];
        }
        plms.Reverse();

        using var xT = Initial(1, batch: 4);
        var x = Rows(xT);
        double[][] Eps(double[][] rows, int k) =>
            rows.Select(r => ExactFlow.Epsilon(Mixture, r, Math.Sqrt(cumprod[k]), Math.Sqrt(1 - cumprod[k]))).ToArray();
        double[][] Previous(double[][] sample, int k, int previous, double[][] e)
        {
            double at = cumprod[k], ap = previous >= 0 ? cumprod[previous] : 1.0;
            double sampleCoeff = Math.Sqrt(ap / at), denominator = at * Math.Sqrt(1 - ap) + Math.Sqrt(at * (1 - at) * ap);
            return sample.Select((r, b) => r.Select((v, j) => sampleCoeff * v - (ap - at) * e[b][j] / denominator).ToArray()).ToArray();
        }
        double[][] Mix(params (double W, double[][] E)[] terms) =>
            terms[0].E.Select((r, b) => r.Select((_, j) => terms.Sum(t => t.W * t.E[b][j])).ToArray()).ToArray();

        var ets = new List<double[][]>();
        double[][]? current = null, running = null;
        int counter = 0;
        foreach (int timestep in prk.Concat(plms))
        {
            var e = Eps(x, timestep);
            if (counter < prk.Count)
            {
                int previous = timestep - (counter % 2 == 1 ? 0 : ratio / 2), from = prk[counter / 4 * 4];
                switch (counter % 4)
                {
                    case 0: running = Mix((1.0 / 6, e)); ets.Add(e); current = x; break;
                    case 1: running = Mix((1, running!), (1.0 / 3, e)); break;
                    case 2: running = Mix((1, running!), (1.0 / 3, e)); break;
                    default: e = Mix((1, running!), (1.0 / 6, e)); running = null; break;
                }
                x = Previous(current!, from, previous, e);
            }
            else
            {
                int k = timestep, previous = timestep - ratio;
                if (counter != 1) ets.Add(e);
                else { previous = timestep; k = timestep + ratio; }
                double[][] output;
                if (ets.Count == 1 && counter == 0) { output = e; current = x; }
                else if (ets.Count == 1 && counter == 1) { output = Mix((0.5, e), (0.5, ets[^1])); x = current!; current = null; }
                else if (ets.Count == 2) output = Mix((1.5, ets[^1]), (-0.5, ets[^2]));
                else if (ets.Count == 3) output = Mix((23.0 / 12, ets[^1]), (-16.0 / 12, ets[^2]), (5.0 / 12, ets[^3]));
                else output = Mix((55.0 / 24, ets[^1]), (-59.0 / 24, ets[^2]), (37.0 / 24, ets[^3]), (-9.0 / 24, ets[^4]));
                x = Previous(x, k, previous, output);
            }
            counter++;
        }

        var schedule = new DiscreteLinearSchedule();
        double[] times = [.. ascending.Reverse().Select(k => (k + 1.0) / trainSteps), 0];
        var solver = ClassicSolvers.Create(skipPrkSteps ? "plms" : "pndm");
        var (ours, model) = Harness.Run(solver, Mixture, schedule, xT, times);
        using (ours)
        {
            Assert.Equal(prk.Count + plms.Count, model.Evaluations);
            using var reference = FromRows(x);
            AssertClose(ours, reference, 1e-10);
        }
    }

    /// <summary>Hands out standard normal draws from one generator and keeps them, so a reference can replay them.</summary>
    sealed class RecordedNoise(ulong seed) : INoiseSource, IDisposable
    {
        readonly Generator generator = new(seed);
        public List<Tensor> Drawn { get; } = [];

        public Tensor NormalLike(Tensor like)
        {
            var z = randn(like.shape, float64, generator: generator);
            var kept = z.clone();
            kept.DetachFromDisposeScope();
            Drawn.Add(kept);
            return z.to(like.dtype, like.device);
        }

        public void Dispose()
        {
            foreach (var t in Drawn) t.Dispose();
            generator.Dispose();
        }
    }
}
