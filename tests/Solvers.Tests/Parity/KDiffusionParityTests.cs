using Pipeline.IO;
using Pipeline.Plugins.Schedules;
using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Dpm;
using Pipeline.Plugins.Solvers.Karras;
using Pipeline.Sampling;
using Pipeline.Solvers;
using DpmHelpers = Pipeline.Tests.Dpm.Dpm;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Parity;

/// <summary>
/// Against k-diffusion's samplers (k_diffusion/sampling.py run as an oracle by make_kdiffusion_parity.py): the exact
/// mixture denoiser on the EDM schedule, Karras sigmas (0.002 to 80, rho = 7, then 0), 64 samples from one x_T, float64.
/// The ancestral samplers are fed the same noise rows on both sides (k-diffusion through its noise_sampler, ours through
/// the run's noise source), so they are compared sample by sample. Ours run the plugins with the 'karras' time-step
/// plugin, never with the fixture's sigmas; a check pins that both step through the same sigmas.
/// </summary>
public class KDiffusionParityTests(ITestOutputHelper output)
{
    /// <summary>
    /// The bound in float64 (measured: at most 1.5e-14 over all cases, dpmpp_2m_sde heun at 20 steps).
    /// sample_lms integrates its Lagrange weights with scipy.integrate.quad, ours exactly (Gauss-Legendre): quad is
    /// exact to rounding on these cubic integrands, so LMS meets the same bound (3.4e-15).
    /// </summary>
    const double Float64Tolerance = 1e-11;

    static readonly string Folder = ParityFixtures.Folder("kdiffusion");

    /// <summary>The rows of noise.npy in order, one per draw, as k-diffusion's replayed noise_sampler gives them.</summary>
    sealed class ReplayedNoise(Tensor rows) : INoiseSource
    {
        public int Draws { get; private set; }

        public Tensor NormalLike(Tensor like)
        {
            using var row = rows[Draws++];
            return row.to_type(like.dtype);
        }
    }

    /// <summary>
    /// Our plugin for each k-diffusion sampler: the ComfyUI name table (src/Cli/ComfyUiNames.cs) maps ComfyUI's sampler
    /// of the same name to the same plugin and options (all but lms, whose ComfyUI version ends differently).
    /// </summary>
    static ISolver Solver(string sampler, double? eta, string? solverType) => sampler switch
    {
        "sample_euler" => new KarrasEuler(new ChurnOptions()),
        "sample_heun" => new KarrasHeun(new ChurnOptions()),
        "sample_dpm_2" => new Dpm2(new ChurnOptions()),
        "sample_lms" => new Lms(new LmsOptions()),
        // DDIM's noise scale eta sigma_t sqrt(1 - e^{-2h}) is k-diffusion's sigma_up on a VE schedule (eta <= 1).
        "sample_euler_ancestral" => new Ddim(new DdimOptions { Eta = eta!.Value }),
        "sample_dpm_2_ancestral" => new Dpm2Ancestral(new Dpm2AncestralOptions { Eta = eta!.Value }),
        // k-diffusion's 2M steps are second order from the second step to the last step into sigma > 0 at any step count.
        "sample_dpmpp_2m" => new DpmSolverPlusPlus(new DpmSolverOptions { LowerOrderFinal = false }),
        "sample_dpmpp_2m_sde" => new SdeDpmSolverPlusPlus(new SdeDpmSolverPlusPlusOptions
        {
            LowerOrderFinal = false,
            SolverType = solverType == "heun" ? DpmSolverType.Heun : DpmSolverType.Midpoint,
        }),
        _ => throw new InvalidOperationException($"no mapping for {sampler}"),
    };

    [Fact]
    public void SamplersMatchKDiffusion()
    {
        var schedule = new EdmSchedule(new EdmScheduleOptions());
        using var mixture = ParityFixtures.Mixture(Folder);
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        using var noise = NpyFile.Read(Path.Combine(Folder, "noise.npy"));
        using var reference = NpyFile.Read(Path.Combine(Folder, "samples.npy"));
        var failures = new List<string>();
        var seen = new HashSet<string>();
        foreach (var (c, index) in ParityFixtures.Cases(Folder).Select((c, i) => (c, i)))
        {
            string sampler = c.GetProperty("sampler").GetString()!;
            int steps = c.GetProperty("steps").GetInt32();
            var kwargs = c.GetProperty("kwargs");
            double? eta = kwargs.TryGetProperty("eta", out var e) ? e.GetDouble() : null;
            string? solverType = kwargs.TryGetProperty("solver_type", out var st) ? st.GetString() : null;
            var sigmas = c.GetProperty("sigmas").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var times = new KarrasSigmas(new KarrasOptions { Steps = steps, ToZero = true }).Times(schedule);
            Assert.Equal(sigmas.Length, times.Length);
            for (int i = 0; i < times.Length; i++)
                Assert.True(Math.Abs(times[i] - sigmas[i]) <= 1e-12 * Math.Max(1, sigmas[i]), $"#{index}: sigma {i} ours {times[i]:R}, k-diffusion {sigmas[i]:R}");

            var solver = Solver(sampler, eta, solverType);
            var replay = new ReplayedNoise(noise);
            var (ours, model) = DpmHelpers.Run(solver, mixture, schedule, xT, times, replay);
            using (ours)
            using (var r = reference[index])
            {
                double d = DpmHelpers.MaxAbsDiff(ours, r);
                string name = $"#{index} {sampler} {steps} steps {kwargs.GetRawText()}";
                output.WriteLine($"{name}: max |diff| {d:E2}, NFE {model.Evaluations}, draws {replay.Draws}");
                seen.Add(sampler);
                if (!(d <= Float64Tolerance)) failures.Add($"{name}: max |diff| {d:E2}");
                if (model.Evaluations != c.GetProperty("evaluations").GetInt32())
                    failures.Add($"{name}: NFE {model.Evaluations}, k-diffusion {c.GetProperty("evaluations").GetInt32()}");
                if (model.Evaluations != solver.Evaluations(times))
                    failures.Add($"{name}: NFE {model.Evaluations}, Evaluations() says {solver.Evaluations(times)}");
                if (replay.Draws != c.GetProperty("draws").GetInt32())
                    failures.Add($"{name}: {replay.Draws} noise draws, k-diffusion {c.GetProperty("draws").GetInt32()}");
            }
        }
        Assert.Equal(8, seen.Count);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>ComfyUI's "ddim" sampler runs sample_euler: our DDIM with eta = 0 is that step (the ComfyUI name table maps it so).</summary>
    [Fact]
    public void DdimWithEtaZeroIsKDiffusionEuler()
    {
        var schedule = new EdmSchedule(new EdmScheduleOptions());
        using var mixture = ParityFixtures.Mixture(Folder);
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        using var reference = NpyFile.Read(Path.Combine(Folder, "samples.npy"));
        var euler = ParityFixtures.Cases(Folder).Select((c, i) => (c, i)).Where(p => p.c.GetProperty("sampler").GetString() == "sample_euler").ToList();
        Assert.Equal(2, euler.Count);
        foreach (var (c, index) in euler)
        {
            var times = new KarrasSigmas(new KarrasOptions { Steps = c.GetProperty("steps").GetInt32(), ToZero = true }).Times(schedule);
            var (ours, _) = DpmHelpers.Run(new Ddim(new DdimOptions()), mixture, schedule, xT, times);
            using (ours)
            using (var r = reference[index])
            {
                double d = DpmHelpers.MaxAbsDiff(ours, r);
                output.WriteLine($"ddim eta 0 vs sample_euler, {c.GetProperty("steps").GetInt32()} steps: max |diff| {d:E2}");
                Assert.True(d <= Float64Tolerance, $"max |diff| {d:E2}");
            }
        }
    }

    /// <summary>With eta = 0 the ancestral sampler is the deterministic one and draws no noise.</summary>
    [Fact]
    public void AncestralWithEtaZeroIsDpm2()
    {
        var schedule = new EdmSchedule(new EdmScheduleOptions());
        using var mixture = ParityFixtures.Mixture(Folder);
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        var times = new KarrasSigmas(new KarrasOptions { Steps = 10, ToZero = true }).Times(schedule);
        var (a, _) = DpmHelpers.Run(new Dpm2Ancestral(new Dpm2AncestralOptions { Eta = 0 }), mixture, schedule, xT, times);
        var (b, _) = DpmHelpers.Run(new Dpm2(new ChurnOptions()), mixture, schedule, xT, times);
        using (a) using (b) Assert.True(DpmHelpers.MaxAbsDiff(a, b) <= 1e-12);
    }

    /// <summary>
    /// ComfyUI's lms ('finalDenoise': true) takes k-diffusion's multistep steps down to the last sigma > 0 and then
    /// returns the data prediction there: x_N = D(x_{N-1}, sigma_{N-1}) (alpha = 1 on this schedule).
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(20)]
    public void LmsWithFinalDenoiseEndsOnTheDataPrediction(int steps)
    {
        var schedule = new EdmSchedule(new EdmScheduleOptions());
        using var mixture = ParityFixtures.Mixture(Folder);
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        var times = new KarrasSigmas(new KarrasOptions { Steps = steps, ToZero = true }).Times(schedule);
        Assert.Equal(0, times[^1]);
        var (comfy, model) = DpmHelpers.Run(new Lms(new LmsOptions { FinalDenoise = true }), mixture, schedule, xT, times);
        var (kdiffusion, _) = DpmHelpers.Run(new Lms(new LmsOptions()), mixture, schedule, xT, times);
        var (before, _) = DpmHelpers.Run(new Lms(new LmsOptions()), mixture, schedule, xT, times[..^1]);
        double last = times[^2];
        using var denoised = ((IDenoiser)new Pipeline.Tests.Dpm.PluginDenoiser(mixture, schedule)).Data(before, last);
        using (comfy) using (kdiffusion) using (before)
        {
            double d = DpmHelpers.MaxAbsDiff(comfy, denoised), apart = DpmHelpers.MaxAbsDiff(comfy, kdiffusion);
            output.WriteLine($"lms finalDenoise, {steps} steps: vs the data prediction {d:E2}; vs sample_lms {apart:E2}");
            Assert.True(d <= 1e-12, $"max |diff| {d:E2}");
            Assert.True(apart > 1e-7, $"the final step did not change the result ({apart:E2})");
            Assert.Equal(steps, model.Evaluations);
        }
    }
}
