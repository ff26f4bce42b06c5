using Pipeline.Plugins.Models;
using Pipeline.Plugins.Schedules;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using static TorchSharp.torch;
using TestMixture = Pipeline.Tests.TestSupport.GaussianMixture;

namespace Pipeline.Tests.UniPc;

/// <summary>
/// Error measurements of multistep solvers against the exact probability flow of a 3-component mixture (the Models
/// plugin's <see cref="ExactProbabilityFlow"/>, float64, rtol 1e-11), on the continuous vp-linear schedule.
/// </summary>
public static class MultistepOracle
{
    public static INoiseSchedule VpLinear() => new VpLinearSchedule(new VpLinearScheduleOptions());

    /// <summary>The discrete DDPM schedule of the authors' code: linear betas 1e-4 .. 0.02, N = 1000.</summary>
    public static INoiseSchedule DiscreteLinear() =>
        DiscreteSchedule.FromBetas(Enumerable.Range(0, 1000).Select(i => 1e-4 + (0.02 - 1e-4) * i / 999.0).ToArray());

    /// <summary>The same mixture as the Models plugin's type, for its exact flow.</summary>
    public static Pipeline.Plugins.Models.GaussianMixture AsModel(TestMixture mixture) =>
        new(mixture.Weights, mixture.Means, mixture.Stds.Select(s => new[] { s }).ToArray());

    /// <summary>RMSE against the exact flow from t0 to t1 of a 6-D mixture, for each step count (steps uniform in log-SNR).</summary>
    public static double[] Errors(Func<ISolver> solver, INoiseSchedule schedule, int[] stepCounts, double t0 = 1, double t1 = 1e-3,
        int dimension = 6, int batch = 16)
    {
        var mixture = Harness.Mixture(dimension);
        using var exactModel = AsModel(mixture);
        using var gen = new Generator(11);
        using var xT = randn([batch, dimension], float64, generator: gen);
        using var exact = ExactProbabilityFlow.Solve(exactModel, schedule, xT, t0, t1);
        return stepCounts.Select(n =>
        {
            var times = t1 > 0 ? Harness.LogSnrTimes(schedule, t0, t1, n) : Harness.UniformTimes(t0, t1, n);
            var (x, _) = Harness.Run(solver(), mixture, schedule, xT, times);
            using (x) return Harness.Rmse(x, exact);
        }).ToArray();
    }

    /// <summary>log2 of the error ratios of successive doublings.</summary>
    public static double[] Orders(double[] errors) =>
        errors.Skip(1).Select((e, i) => Math.Log2(errors[i] / e)).ToArray();

    public static string Describe(int[] steps, double[] errors) =>
        string.Join(", ", steps.Zip(errors, (n, e) => $"{n}: {e:E2}")) + "; orders " +
        string.Join(", ", Orders(errors).Select(o => o.ToString("F2")));
}
