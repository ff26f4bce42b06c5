using System.Text.Json;
using Pipeline.IO;
using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Plugins.Models;
using Pipeline.Plugins.Schedules;
using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Dpm;
using Pipeline.Plugins.Solvers.Pndm;
using Pipeline.Schedules;
using Pipeline.Solvers;
using DpmHelpers = Pipeline.Tests.Dpm.Dpm;
using UniPcSolver = Pipeline.Plugins.Solvers.UniPc;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Parity;

/// <summary>
/// Against the schedulers of the diffusers library: tests/Fixtures/Parity/diffusers holds their final samples on the
/// exact mixture eps (linear betas, N = 1000, 64 samples from one x_T) for DDIMScheduler, DPMSolverMultistepScheduler,
/// DPMSolverSinglestepScheduler, UniPCMultistepScheduler, PNDMScheduler and DEISMultistepScheduler in many configurations
/// (make_diffusers_parity.py). Ours run the matching
/// plugins with the time-step plugin configured as the scheduler is (spacing rule, steps offset, final target), never
/// with times copied from the fixture; a separate test checks that those plugins give the scheduler's own timesteps.
/// </summary>
public class DiffusersParityTests(ITestOutputHelper output)
{
    /// <summary>The issue's bound: our float32 run against diffusers as shipped (float32).</summary>
    const double Float32Tolerance = 1e-4;

    /// <summary>
    /// Our float64 run against diffusers' code run in float64: both evaluate the same updates, what is left is rounding
    /// (measured: at most 3.0e-13, DEIS log-rho order 3 at 20 steps; 5.1e-14 over the other schedulers).
    /// </summary>
    const double Float64Tolerance = 1e-11;

    internal sealed record Case(JsonElement Json, int Index)
    {
        public string Scheduler => Json.GetProperty("scheduler").GetString()!;
        public int Steps => Json.GetProperty("steps").GetInt32();
        JsonElement Config => Json.GetProperty("config");
        public long[] Timesteps => Json.GetProperty("timesteps").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        public double[]? Sigmas => Json.TryGetProperty("sigmas", out var s) ? s.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;
        public bool Finite32 => Json.GetProperty("finite32").GetBoolean();
        public bool Finite64 => Json.GetProperty("finite64").GetBoolean();

        string Str(string key, string fallback) => Config.TryGetProperty(key, out var v) ? v.GetString()! : fallback;
        int Int(string key, int fallback) => Config.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        bool Bool(string key, bool fallback) => Config.TryGetProperty(key, out var v) ? v.GetBoolean() : fallback;

        public bool Karras => Bool("use_karras_sigmas", false);

        /// <summary>The diffusers defaults of each scheduler's set_timesteps, as our time-step plugin options.</summary>
        public ITimeStepSchedule TimeSteps()
        {
            if (Karras)
            {
                // Karras ramp of `steps` noise ratios from the last to the first training step, then 0 ("zero"). With
                // "sigma_min" diffusers repeats the smallest ratio, a step of length 0 that we cannot list (see KarrasSigmasMatchWithTheModelAtDiffusersTimesteps).
                bool zero = Str("final_sigmas_type", "zero") == "zero";
                return new KarrasSigmas(new KarrasOptions { Steps = zero ? Steps : Steps - 1, ToZero = zero });
            }
            bool ddimFamily = Scheduler is "DDIMScheduler" or "PNDMScheduler";
            var options = new SpacingOptions
            {
                Steps = Steps,
                StepsOffset = Int("steps_offset", 0),
                Variant = ddimFamily ? SpacingVariant.Ddim : SpacingVariant.DpmSolverMultistep,
                // DEISMultistepScheduler has no final_sigmas_type: it always ends at the first training step's ratio.
                SetAlphaToOne = ddimFamily
                    ? Bool("set_alpha_to_one", Scheduler == "DDIMScheduler")
                    : Scheduler != "DEISMultistepScheduler" && Str("final_sigmas_type", "zero") == "zero",
            };
            return Str("timestep_spacing", ddimFamily ? "leading" : "linspace") switch
            {
                "leading" => new LeadingSpacing(options),
                "trailing" => new TrailingSpacing(options),
                _ => new LinspaceSpacing(options),
            };
        }

        /// <summary>Our solver for the scheduler's configuration.</summary>
        public ISolver Solver() => Scheduler switch
        {
            "DDIMScheduler" => new Ddim(new DdimOptions { Eta = 0 }),
            "PNDMScheduler" => Bool("skip_prk_steps", false) ? new Plms() : new Pipeline.Plugins.Solvers.Pndm.Pndm(),
            "UniPCMultistepScheduler" => new UniPcSolver(new UniPcOptions
            {
                Order = Int("solver_order", 2),
                Prediction = Bool("predict_x0", true) ? UniPcPrediction.Data : UniPcPrediction.Noise,
                Variant = Str("solver_type", "bh2") == "bh1" ? UniPcVariant.Bh1 : UniPcVariant.Bh2,
                Corrector = true,
                // diffusers lowers the final orders at every step count.
                LowerOrderFinal = Bool("lower_order_final", true),
            }),
            "DPMSolverMultistepScheduler" => DpmFamily(DpmSolverMethod.Multistep),
            "DPMSolverSinglestepScheduler" => DpmFamily(DpmSolverMethod.Singlestep),
            // lower_order_final (default on) applies below 15 steps in diffusers: our null for 'logrho'.
            "DEISMultistepScheduler" => new Pipeline.Plugins.Solvers.Deis(new DeisOptions
            {
                Order = Int("solver_order", 2),
                Variant = DeisVariant.Logrho,
                LowerOrderFinal = Bool("lower_order_final", true) ? null : false,
            }),
            _ => throw new InvalidOperationException($"no mapping for {Scheduler}"),
        };

        ISolver DpmFamily(DpmSolverMethod method)
        {
            var options = new DpmSolverOptions
            {
                Method = method,
                Order = Int("solver_order", 2),
                SolverType = Str("solver_type", "midpoint") == "heun" ? DpmSolverType.Heun : DpmSolverType.Midpoint,
                // Karras with "sigma_min": diffusers' lowered final step is its zero-length step, so its last real step
                // is the "second to last" one, at most second order: for order 2 that is no lowering on our shorter list.
                LowerOrderFinal = Bool("lower_order_final", true) && !(Karras && !FinalZero && Int("solver_order", 2) == 2 && Steps < 15),
                LowerOrderFinalBelow = 15,
            };
            return Str("algorithm_type", "dpmsolver++") == "dpmsolver" ? new DpmSolver(options) : new DpmSolverPlusPlus(options);
        }

        bool FinalZero => Str("final_sigmas_type", "zero") == "zero";

        /// <summary>
        /// Singlestep only: the orders of diffusers' outer steps. get_order_list gives one order per step ([1, 2, 3]
        /// per third-order outer step; with lower_order_final the tail is [1, 2] + [1], [1] or [1, 2] for order 3 and
        /// [1, 1] (even steps) or [1] for order 2), and "zero" sets the last entry to 1.
        /// </summary>
        public int[] DiffusersPlan()
        {
            int n = Steps, order = Int("solver_order", 2);
            var perStep = new List<int>();
            if (order == 3)
            {
                int blocks = n % 3 == 0 ? n / 3 - 1 : n / 3;
                for (int i = 0; i < blocks; i++) perStep.AddRange([1, 2, 3]);
                perStep.AddRange((n % 3) switch { 0 => [1, 2, 1], 1 => [1], _ => [1, 2] });
            }
            else
            {
                int blocks = n % 2 == 0 ? n / 2 - 1 : n / 2;
                for (int i = 0; i < blocks; i++) perStep.AddRange([1, 2]);
                perStep.AddRange(n % 2 == 0 ? [1, 1] : [1]);
            }
            if (FinalZero) perStep[^1] = 1;
            // An outer step starts at every 1 and has the order of its last entry.
            var plan = new List<int>();
            foreach (int o in perStep)
                if (o == 1) plan.Add(1); else plan[^1] = o;
            return plan.ToArray();
        }

        /// <summary>
        /// Singlestep only: our outer orders (docs/solvers.md, the DPM-Solver authors' allocation): order 3 gives
        /// [3, ..., 3, 2, 1], [3, ..., 3, 1] or [3, ..., 3, 2] for steps mod 3 = 0, 1, 2; order 2 gives [2, ..., 2] and
        /// a final 1 for odd steps. Into t = 0 the other steps - 1 evaluations follow that rule and the last is the data
        /// prediction (a first-order step).
        /// </summary>
        public int[] OurPlan()
        {
            int order = Int("solver_order", 2);
            int n = FinalZero ? Steps - 1 : Steps;
            var plan = new List<int>();
            if (order == 3)
            {
                int threes = n % 3 == 0 ? n / 3 - 1 : n / 3;
                plan.AddRange(Enumerable.Repeat(3, threes));
                plan.AddRange((n % 3) switch { 0 => [2, 1], 1 => [1], _ => [2] });
            }
            else
            {
                plan.AddRange(Enumerable.Repeat(2, n / 2));
                if (n % 2 == 1) plan.Add(1);
            }
            if (FinalZero) plan.Add(1);
            return plan.ToArray();
        }

        /// <summary>
        /// Why a singlestep case is a different sampler in diffusers, or null: the order allocation differs, or a
        /// third-order midpoint step computes its second intermediate state with the midpoint second-order formula
        /// (diffusers) instead of the phi_2 form of the authors' DPM-Solver-3 (ours, for both solver types).
        /// </summary>
        public string? Difference
        {
            get
            {
                if (Scheduler != "DPMSolverSinglestepScheduler") return null;
                if (!DiffusersPlan().SequenceEqual(OurPlan())) return "order allocation";
                if (DiffusersPlan().Contains(3) && Str("solver_type", "midpoint") == "midpoint") return "third-order midpoint inner stage";
                return null;
            }
        }

        public override string ToString() =>
            $"#{Index} {Scheduler} {Steps} steps {Config.GetRawText()}";
    }

    internal static readonly string Folder = ParityFixtures.Folder("diffusers");

    internal static List<Case> Cases() => ParityFixtures.Cases(Folder).Select((e, i) => new Case(e, i)).ToList();

    static GaussianMixtureModel Mixture() => ParityFixtures.Mixture(Folder);

    static readonly DiscreteSchedule Schedule = new(new DiscreteScheduleOptions());

    static (Tensor X, int Nfe) RunOurs(Case c, GaussianMixtureModel mixture, Tensor initial, ScalarType dtype)
    {
        var times = c.TimeSteps().Times(Schedule);
        using var x = initial.to_type(dtype);
        var (result, model) = DpmHelpers.Run(c.Solver(), mixture, Schedule, x, times);
        return (result, model.Evaluations);
    }

    static bool AllFinite(Tensor t)
    {
        using var f = t.isfinite().all();
        return f.item<bool>();
    }

    [Fact]
    public void SchedulersMatchDiffusers()
    {
        using var mixture = Mixture();
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        using var ref32 = NpyFile.Read(Path.Combine(Folder, "diffusers_f32.npy"));
        using var ref64 = NpyFile.Read(Path.Combine(Folder, "diffusers_f64.npy"));
        var failures = new List<string>();
        var worst = new Dictionary<string, (double D32, double D64, int Runs)>();
        var outliers = new HashSet<string>();
        foreach (var c in Cases().Where(c => !c.Karras && c.Difference is null && c.Finite32 && c.Finite64))
        {
            using var r32 = ref32[c.Index];
            using var r64 = ref64[c.Index];
            var (ours32, nfe) = RunOurs(c, mixture, xT, ScalarType.Float32);
            var (ours64, _) = RunOurs(c, mixture, xT, ScalarType.Float64);
            using (ours32)
            using (ours64)
            {
                double d32 = DpmHelpers.MaxAbsDiff(ours32, r32), d64 = DpmHelpers.MaxAbsDiff(ours64, r64);
                // What float32 costs diffusers itself: its shipped run against its float64 run.
                double own = DpmHelpers.MaxAbsDiff(r32, r64);
                output.WriteLine($"{c}: float32 {d32:E2} (diffusers' own float32 error {own:E2}), float64 {d64:E2}, NFE {nfe}");
                var w = worst.GetValueOrDefault(c.Scheduler);
                worst[c.Scheduler] = (Math.Max(w.D32, d32), Math.Max(w.D64, d64), w.Runs + 1);
                if (nfe != c.Timesteps.Length) failures.Add($"{c}: NFE {nfe}, diffusers {c.Timesteps.Length}");
                if (own > Float32Tolerance)
                {
                    // diffusers' float32 run alone is further than the bound from its float64 run (DEIS third order at
                    // 20 steps: its log-rho coefficients are differences of antiderivatives taken in float32). There
                    // our float32 run must meet the bound against diffusers' float64 run, and its distance to the
                    // float32 run must be no more than diffusers' own error plus the bound.
                    double vs64 = DpmHelpers.MaxAbsDiff(ours32, r64);
                    output.WriteLine($"{c}: diffusers' float32 error exceeds the bound; our float32 vs its float64 {vs64:E2}");
                    outliers.Add(c.Scheduler);
                    if (!(vs64 <= Float32Tolerance)) failures.Add($"{c}: float32 vs diffusers' float64 max |diff| {vs64:E2}");
                    if (!(d32 <= own + Float32Tolerance)) failures.Add($"{c}: float32 max |diff| {d32:E2}, diffusers' own {own:E2}");
                }
                else if (!(d32 <= Float32Tolerance)) failures.Add($"{c}: float32 max |diff| {d32:E2}");
                if (!(d64 <= Float64Tolerance)) failures.Add($"{c}: float64 max |diff| {d64:E2}");
            }
        }
        foreach (var (name, w) in worst)
            output.WriteLine($"{name}: {w.Runs} runs, worst float32 {w.D32:E2}, float64 {w.D64:E2}");
        Assert.True(worst.Count == 6, "every scheduler family has cases");
        Assert.True(outliers.All(name => name == "DEISMultistepScheduler"), $"diffusers' float32 error exceeds the bound in {string.Join(", ", outliers)}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// diffusers' UniPC gives NaN on its last step into sigma = 0 (final_sigmas_type "zero", its default) with the noise
    /// prediction (predict_x0 = False: sigma_t = 0 times e^h - 1 = infinity) and with bh1 (B(h) = h = -infinity times the
    /// zero correction of the first-order last step), at every step count. Ours returns the data prediction on a step into
    /// t = 0 and stays finite, with the same number of evaluations.
    /// </summary>
    [Fact]
    public void WhereDiffusersGivesNaNOursIsFinite()
    {
        using var mixture = Mixture();
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        var cases = Cases();
        var nan = cases.Where(c => !c.Finite32).ToList();
        foreach (var c in nan) output.WriteLine($"diffusers NaN: {c}");
        Assert.NotEmpty(nan);
        Assert.All(nan, c => Assert.Equal("UniPCMultistepScheduler", c.Scheduler));
        foreach (var c in nan)
        {
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
            {
                var (ours, nfe) = RunOurs(c, mixture, xT, dtype);
                using (ours)
                {
                    Assert.True(AllFinite(ours), $"{c}: ours is not finite in {dtype}");
                    Assert.Equal(c.Timesteps.Length, nfe);
                }
            }
        }
    }

    /// <summary>Each time-step plugin, configured as the scheduler, gives the scheduler's timesteps (t = (k + 1) / N).</summary>
    [Fact]
    public void TimeStepPluginsGiveTheSchedulersTimesteps()
    {
        int n = Schedule.TrainingSteps!.Value;
        foreach (var c in Cases().Where(c => !c.Karras))
        {
            var ours = c.TimeSteps().Times(Schedule);
            // PLMS evaluates its second timestep twice; PNDM's warm-up adds half steps: both solvers take the grid.
            var distinct = c.Timesteps.Distinct().Where(k => c.Scheduler != "PNDMScheduler" || (k - c.Timesteps[^1]) % (n / c.Steps) == 0).ToArray();
            Assert.True(distinct.Length == ours.Length - 1, $"{c}: {ours.Length - 1} steps, diffusers {distinct.Length}");
            for (int i = 0; i < distinct.Length; i++)
                Assert.True(ours[i] == (distinct[i] + 1) / (double)n, $"{c}: time {i} is {ours[i]}, diffusers' timestep {distinct[i]}");
            if (c.Sigmas is { } sigmas)
            {
                double last = ours[^1] == 0 ? 0 : Schedule.Sigma(ours[^1]) / Schedule.Alpha(ours[^1]);
                Assert.True(Math.Abs(last - sigmas[^1]) <= 1e-12 * Math.Max(1, sigmas[^1]), $"{c}: final sigma {last} vs {sigmas[^1]}");
            }
        }
    }

    /// <summary>
    /// DPMSolverSinglestepScheduler differs from the DPM-Solver authors' singlestep method (which ours follows) in two
    /// ways. Its order list: order 2 with an even step count ends [.., 2, 1, 1] instead of [.., 2, 2], and order 3 into
    /// sigma = 0 sets the last entry of the full-length list to 1 (10 steps: [3, 3, 3, 1]) where we plan the other 9
    /// evaluations ([3, 3, 2, 1]) and finish with the data prediction. And its third-order 'midpoint' step computes the
    /// second intermediate state with the midpoint second-order update (weight phi_1 / 2 on the difference) where the
    /// authors' DPM-Solver-3 uses the phi_2 form for both solver types. These runs are different samplers, not rounding:
    /// the test pins that every such case differs by more than the parity tolerance (the other singlestep cases match
    /// in SchedulersMatchDiffusers).
    /// </summary>
    [Fact]
    public void SinglestepDiffersFromDiffusersWhereDocumented()
    {
        using var mixture = Mixture();
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        using var ref64 = NpyFile.Read(Path.Combine(Folder, "diffusers_f64.npy"));
        var different = Cases().Where(c => c.Difference is not null).ToList();
        Assert.Contains(different, c => c.Difference == "order allocation");
        Assert.Contains(different, c => c.Difference == "third-order midpoint inner stage");
        foreach (var c in different)
        {
            var (ours, _) = RunOurs(c, mixture, xT, ScalarType.Float64);
            using (ours)
            using (var r64 = ref64[c.Index])
            {
                double d = DpmHelpers.MaxAbsDiff(ours, r64);
                output.WriteLine($"{c}: {c.Difference}; diffusers [{string.Join(", ", c.DiffusersPlan())}], ours [{string.Join(", ", c.OurPlan())}]: max |diff| {d:E2}");
                Assert.True(d > Float32Tolerance, $"{c}: documented as a different sampler ({c.Difference}) but agrees to {d:E2}");
            }
        }
    }

    /// <summary>
    /// The model at diffusers' integer timestep, the solver at the exact time: diffusers' Karras schedules step with the
    /// Karras noise ratio but pass the model round(t(sigma)) (the nearest training step), and convert its eps with the
    /// unrounded sigma. This denoiser does the same to show that this is the only difference.
    /// </summary>
    sealed class RoundedTimeDenoiser(IDiffusionModel model, DiscreteSchedule schedule) : IDenoiser
    {
        public INoiseSchedule Schedule => schedule;

        public List<long> Steps { get; } = [];

        public ModelOutput Predict(Tensor x, double t)
        {
            int n = schedule.TrainingSteps!.Value;
            long k = (long)Math.Round(t * n - 1);
            Steps.Add(k);
            double tk = (k + 1) / (double)n;
            var raw = model.Forward(x, new ModelTime(tk, schedule.Alpha(tk), schedule.Sigma(tk), tk), null);
            return PredictionConversion.ToOutput(model.Prediction, x, raw, schedule.Alpha(t), schedule.Sigma(t));
        }
    }

    /// <summary>
    /// use_karras_sigmas: the 'karras' plugin gives diffusers' noise ratios (rho = 7 between the first and last training
    /// steps' ratios; "zero" appends 0; "sigma_min" repeats the smallest ratio, a step of length 0 that costs diffusers
    /// one evaluation and that we leave out). Our normal run evaluates the model at the exact time of each ratio, so it
    /// differs from diffusers, which evaluates at the nearest training step; with the model evaluated there too
    /// (RoundedTimeDenoiser) the runs agree to rounding.
    /// </summary>
    [Fact]
    public void KarrasSigmasMatchWithTheModelAtDiffusersTimesteps()
    {
        using var mixture = Mixture();
        using var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy"));
        using var ref32 = NpyFile.Read(Path.Combine(Folder, "diffusers_f32.npy"));
        using var ref64 = NpyFile.Read(Path.Combine(Folder, "diffusers_f64.npy"));
        var karras = Cases().Where(c => c.Karras).ToList();
        Assert.NotEmpty(karras);
        foreach (var c in karras)
        {
            var times = c.TimeSteps().Times(Schedule);
            var sigmas = c.Sigmas!;
            bool zero = sigmas[^1] == 0;
            int intervals = zero ? c.Steps : c.Steps - 1;
            Assert.Equal(intervals + 1, times.Length);
            for (int i = 0; i < times.Length; i++)
            {
                double ours = times[i] == 0 ? 0 : Schedule.Sigma(times[i]) / Schedule.Alpha(times[i]);
                Assert.True(Math.Abs(ours - sigmas[i]) <= 1e-12 * Math.Max(1, sigmas[i]), $"{c}: sigma {i} ours {ours:R}, diffusers {sigmas[i]:R}");
            }
            using var r32 = ref32[c.Index];
            using var r64 = ref64[c.Index];
            var (exact, _) = RunOurs(c, mixture, xT, ScalarType.Float64);
            double dExact;
            using (exact) dExact = DpmHelpers.MaxAbsDiff(exact, r64);
            foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
            {
                var model = new RoundedTimeDenoiser(mixture, Schedule);
                using var x = xT.to_type(dtype);
                using var result = c.Solver().Sample(new SamplingContext { Model = model, Times = times, Initial = x, Noise = new DpmHelpers.NoNoise() });
                // The nearest training steps of our times are diffusers' timesteps (its last one, at the repeated
                // sigma_min, is never needed here).
                Assert.Equal(c.Timesteps.Take(intervals), model.Steps);
                double d = DpmHelpers.MaxAbsDiff(result, dtype == ScalarType.Float64 ? r64 : r32);
                output.WriteLine($"{c} ({dtype}): model at diffusers' timesteps {d:E2}" + (dtype == ScalarType.Float64 ? $"; at the exact times {dExact:E2}" : ""));
                Assert.True(d <= (dtype == ScalarType.Float64 ? Float64Tolerance : Float32Tolerance), $"{c} ({dtype}): max |diff| {d:E2}");
            }
        }
    }
}
