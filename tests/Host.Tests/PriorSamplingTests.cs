using System.Globalization;
using Pipeline.Host;
using Pipeline.Host.Composition;
using Pipeline.Options;
using TorchSharp;
using Xunit.Abstractions;

namespace Pipeline.Tests;

/// <summary>
/// Every sampler family run as a user runs it, from the prior the host draws x_T from, on every noise schedule: a
/// separated mixture (means (-3, 0) and (3, 0), std 0.5, weights 0.3 / 0.7) must come out with its mean and variance per
/// coordinate within <see cref="Z"/> standard errors of the exact ones (var / N for the mean, (mu_4 - var^2) / N for the
/// variance) and its component weights within Z binomial standard errors. An exact-ODE error measured from a given x_T
/// cannot see a wrong x_T; these can (an x_T of N(0, I) on edm gives a y-variance of 4e-5 instead of 0.25). Combinations a
/// sampler refuses are asserted as refusals (docs/solvers.md, "Sampling from the prior", gives the reasons).
/// </summary>
public class PriorSamplingTests(ITestOutputHelper output)
{
    const int N = 2000;
    const double Z = 5;
    static readonly double[] Weights = [0.3, 0.7];
    static readonly double[] MeansX = [-3.0, 3.0];
    const double Std = 0.5;

    public static readonly string[] Schedules = ["discrete", "vp-linear", "ve", "edm"];

    /// <summary>The time steps of a schedule's own convention: Karras steps into sigma = 0 on edm, uniform in log-SNR elsewhere (geometric sigmas on ve, as NCSN and score-SDE).</summary>
    static string Grid(string schedule, int steps) => schedule == "edm"
        ? $$"""{ "type": "karras", "steps": {{steps}}, "toZero": true }"""
        : $$"""{ "type": "logsnr-uniform", "steps": {{steps}} }""";

    /// <summary>One solver of each family with steps enough that its discretisation error is well inside the tolerances.</summary>
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in Schedules)
        {
            foreach (var solver in new[] { "ddim", "ddim-eta-1", "euler-maruyama", "pf-ode-heun", "dpm-solver++", "unipc", "heun", "lms", "dpm_2", "dpm_2_ancestral", "langevin" })
                data.Add(s, solver);
            if (s is "discrete" or "vp-linear") data.Add(s, "ddpm");
        }
        data.Add("ve", "pc");
        return data;
    }

    static (string Solver, int Steps) Solver(string name) => name switch
    {
        "ddim" => ("""{ "type": "ddim" }""", 200),
        "ddim-eta-1" => ("""{ "type": "ddim", "eta": 1.0 }""", 300),
        "ddpm" => ("""{ "type": "ddpm" }""", 300),
        "euler-maruyama" => ("""{ "type": "euler-maruyama" }""", 200),
        "pf-ode-heun" => ("""{ "type": "pf-ode", "method": "heun" }""", 50),
        "dpm-solver++" => ("""{ "type": "dpm-solver++", "order": 2 }""", 30),
        "unipc" => ("""{ "type": "unipc" }""", 30),
        "heun" => ("""{ "type": "heun" }""", 30),
        "lms" => ("""{ "type": "lms" }""", 50),
        // By their ComfyUI names, the aliases of dpm2 and dpm2-ancestral.
        "dpm_2" => ("""{ "type": "dpm_2" }""", 30),
        "dpm_2_ancestral" => ("""{ "type": "dpm_2_ancestral" }""", 100),
        // NCSN's annealing over geometric noise levels; epsilon = sigma_L^2 (a_i = sigma_i^2) is set below.
        "langevin" => ("""{ "type": "langevin", "nStepsEach": 20, "epsilon": EPSILON }""", 40),
        // score-SDE's VE sampler: reverse diffusion + one Langevin corrector step at snr 0.16.
        "pc" => ("""{ "type": "pc", "snr": 0.16, "correctorSteps": 1 }""", 500),
        _ => throw new ArgumentException(name),
    };

    static string Definition(string schedule, string solver, int steps, int dimension, int count)
    {
        string Mean(double x) => "[" + string.Join(", ", new[] { x }.Concat(Enumerable.Repeat(0.0, dimension - 1)).Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        return $$"""
            {
              "model": { "type": "gmm", "weights": [0.3, 0.7], "means": [{{Mean(MeansX[0])}}, {{Mean(MeansX[1])}}], "stds": [[0.5], [0.5]] },
              "noiseSchedule": { "type": "{{schedule}}" },
              "timeSteps": {{Grid(schedule, steps)}},
              "solver": {{solver}},
              "sampling": { "count": {{count}}, "seed": 1, "dtype": "float64" }
            }
            """;
    }

    /// <summary>
    /// Annealed Langevin's epsilon = sigma_L^2, the smallest noise level of the times squared: half the largest
    /// epsilon the solver accepts (2 sigma_L^2). NCSN's 2e-5 at sigma_L = 0.01 leaves a noise excess (docs/solvers.md).
    /// </summary>
    static string WithLangevinEpsilon(PipelineHost host, string schedule, string solver, int steps)
    {
        using var probe = host.Compose(Definition(schedule, """{ "type": "ddim" }""", steps, 2, 1));
        double sigmaL = probe.Schedule.Sigma(probe.Times[^1] > 0 ? probe.Times[^1] : probe.Times[^2]);
        return solver.Replace("EPSILON", (sigmaL * sigmaL).ToString("R", CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesTheMixtureFromThePrior(string schedule, string name)
    {
        var host = new PipelineHost();
        var (solver, steps) = Solver(name);
        if (name == "langevin") solver = WithLangevinEpsilon(host, schedule, solver, steps);
        // pc's corrector takes its step from per-sample norms, which is only unbiased with many values per sample
        // (docs/solvers.md): the mixture gets 126 more coordinates of spread 0.5 there.
        int dimension = name == "pc" ? 128 : 2, count = name == "pc" ? 1000 : N;
        using var pipeline = host.Compose(Definition(schedule, solver, steps, dimension, count));
        using var run = host.Sample(pipeline);
        using var samples = run.Samples.to(torch.ScalarType.Float64);
        var values = samples.data<double>().ToArray();
        double[] Column(int d) => Enumerable.Range(0, count).Select(i => values[i * dimension + d]).ToArray();

        var report = new List<string>();
        var failures = new List<string>();
        void Check(string what, double value, double expected, double standardError)
        {
            double z = (value - expected) / standardError;
            report.Add($"{what} {value:F4} (exact {expected:F4}, z {z:F2})");
            if (!(Math.Abs(z) < Z)) failures.Add($"{what} = {value:F4}, exact {expected:F4}: {z:F1} standard errors off (tolerance {Z})");
        }

        for (int d = 0; d < 2; d++)
        {
            var (mean, variance, fourth) = d == 0 ? MixtureMomentsX() : (0.0, Std * Std, 3 * Math.Pow(Std, 4));
            var column = Column(d);
            double m = column.Average(), v = column.Sum(x => (x - m) * (x - m)) / (count - 1);
            Check($"mean[{d}]", m, mean, Math.Sqrt(variance / count));
            Check($"var[{d}]", v, variance, Math.Sqrt((fourth - variance * variance) / count));
        }
        // The components are 12 stds apart: the sign of x names a sample's component.
        double right = Column(0).Count(x => x > 0) / (double)count;
        Check("weight[1]", right, Weights[1], Math.Sqrt(Weights[1] * Weights[0] / count));

        output.WriteLine($"{schedule} {name} ({steps} steps, x_T std {run.Initial.std().item<double>():G4}): {string.Join(", ", report)}");
        Assert.True(failures.Count == 0, $"{name} on {schedule}: " + string.Join("; ", failures));
    }

    /// <summary>Mean, variance and fourth central moment of the mixture's first coordinate.</summary>
    static (double Mean, double Variance, double Fourth) MixtureMomentsX()
    {
        double mean = Weights.Zip(MeansX, (w, m) => w * m).Sum();
        double variance = Std * Std + Weights.Zip(MeansX, (w, m) => w * m * m).Sum() - mean * mean;
        // E(d + s z)^4 = d^4 + 6 d^2 s^2 + 3 s^4 for each component, d its offset from the mean.
        double fourth = Weights.Zip(MeansX, (w, m) => w * (Math.Pow(m - mean, 4) + 6 * Math.Pow(m - mean, 2) * Std * Std + 3 * Math.Pow(Std, 4))).Sum();
        return (mean, variance, fourth);
    }

    /// <summary>x_T has the spread of the prior at the run's first time: 1 on VP, sigma(t_0) where alpha = 1.</summary>
    [Theory]
    [InlineData("discrete", """{ "type": "time-uniform", "steps": 4 }""", 1.0)]
    [InlineData("vp-linear", """{ "type": "time-uniform", "steps": 4, "tStart": 0.5 }""", 1.0)]
    [InlineData("ve", """{ "type": "time-uniform", "steps": 4 }""", 50.0)]
    [InlineData("edm", """{ "type": "karras", "steps": 4 }""", 80.0)]
    [InlineData("edm", """{ "type": "karras", "steps": 4, "sigmaMax": 10 }""", 10.0)]
    public void InitialStateIsThePriorAtTheFirstTime(string schedule, string grid, double std)
    {
        var host = new PipelineHost();
        using var pipeline = host.Compose($$"""
            {
              "model": { "type": "gmm", "weights": [0.3, 0.7], "means": [[-3, 0], [3, 0]], "stds": [[0.5], [0.5]] },
              "noiseSchedule": { "type": "{{schedule}}" }, "timeSteps": {{grid}}, "solver": { "type": "ddim" },
              "sampling": { "count": 4000, "seed": 2, "dtype": "float64" }
            }
            """);
        using var run = host.Sample(pipeline);
        using var flat = run.Initial.reshape(-1);
        long n = flat.shape[0];
        double mean = flat.mean().item<double>(), variance = flat.var().item<double>();
        // Standard errors of N(0, std^2): std / sqrt(n) for the mean, std^2 sqrt(2 / n) for the variance.
        Assert.True(Math.Abs(mean) < Z * std / Math.Sqrt(n), $"mean {mean}");
        Assert.True(Math.Abs(variance - std * std) < Z * std * std * Math.Sqrt(2.0 / n), $"variance {variance}, expected {std * std}");
    }

    /// <summary>DDPM's chain exists only on VP schedules; it says so before anything runs.</summary>
    [Theory]
    [InlineData("ve")]
    [InlineData("edm")]
    public void DdpmRefusesSchedulesThatAreNotVariancePreserving(string schedule)
    {
        var host = new PipelineHost();
        var e = Assert.Throws<PipelineInputException>(() => host.Compose(Definition(schedule, """{ "type": "ddpm" }""", 10, 2, 4)));
        Assert.Contains("variance-preserving", e.Message);
        Assert.Equal("$.solver", e.Path);
    }

    /// <summary>
    /// pc's per-sample corrector step diverges with two values per sample; it refuses instead of returning wrong samples,
    /// at composition (so 'validate' sees it) with the solver's place.
    /// </summary>
    [Fact]
    public void PcRefusesTwoValuesPerSample()
    {
        var host = new PipelineHost();
        var e = Assert.Throws<PipelineInputException>(() => host.Compose(Definition("ve", """{ "type": "pc" }""", 10, 2, 4)).Dispose());
        Assert.Contains("per-sample norms", e.Message);
        Assert.Equal("$.solver", e.Path);
    }

    /// <summary>NCSN's epsilon 2e-5 is refused on edm, whose smallest level sigma = 0.002 needs epsilon below 8e-6.</summary>
    [Fact]
    public void LangevinRefusesAStepSizeTooLargeForTheSmallestLevel()
    {
        var host = new PipelineHost();
        var e = Assert.Throws<PipelineInputException>(() => host.Compose(Definition("edm", """{ "type": "langevin" }""", 10, 2, 4)));
        Assert.Contains("2 sigma_L^2", e.Message);
    }

    /// <summary>
    /// The exact flow of exact-ode-error starts from the run's own x_T (the scaled draw): a good ODE solver is close to
    /// it, and the exact flow from that x_T is itself a sample of the mixture.
    /// </summary>
    [Fact]
    public void ExactOdeErrorStartsFromTheScaledInitialState()
    {
        var host = new PipelineHost();
        var definition = Definition("edm", """{ "type": "heun" }""", 40, 2, 500)
            .TrimEnd().TrimEnd('}') + """, "metrics": [ { "type": "exact-ode-error" }, { "type": "gmm-distance" } ] }""";
        using var pipeline = host.Compose(definition);
        using var run = host.Sample(pipeline);
        var scores = Pipeline.Host.Running.MetricScores.Score(pipeline, run);
        double rmse = (double)scores["exact-ode-error"]!["rmse"]!;
        double moments = (double)scores["gmm-distance"]!["moment-error"]!;
        output.WriteLine($"exact-ode-error rmse {rmse:G4}, gmm-distance moment-error {moments:G4}");
        Assert.True(rmse < 0.02, $"rmse against the exact flow from the same x_T: {rmse}");
        // About sqrt(tr Sigma / N + ...) ~ 0.2 at N = 500; an x_T of N(0, I) gives 6.
        Assert.True(moments < 1.0, $"moment error {moments}");
    }
}
