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

    /// <summary>
    /// The order-test problem: a 4-D mixture with means in [-0.5, 0.5] (stds 0.3 .. 0.8), 8 samples, from t = 1 to 1e-3 on
    /// vp-linear. Its exact solution comes from the test harness's plain-double Dormand-Prince (rtol 1e-12), which agrees
    /// with <see cref="ExactProbabilityFlow"/> to ~1e-11 and is two orders of magnitude faster.
    /// </summary>
    public sealed class Problem
    {
        public static Problem VpLinear { get; } = new(VpLinear(), 1, 1e-3);

        Problem(INoiseSchedule schedule, double t0, double t1)
        {
            Schedule = schedule;
            T0 = t0;
            T1 = t1;
            Mixture = Harness.Mixture(4, separation: 0.5);
            using var gen = new Generator(11);
            Initial = randn([8, 4], float64, generator: gen);
            Exact = ExactFlow.Solve(Mixture, schedule, Initial, t0, t1, rtol: 1e-12, atol: 1e-12);
        }

        public INoiseSchedule Schedule { get; }
        public double T0 { get; }
        public double T1 { get; }
        public TestMixture Mixture { get; }
        public Tensor Initial { get; }
        public Tensor Exact { get; }

        /// <summary>RMSE against the exact flow for each step count, steps uniform in log-SNR.</summary>
        public double[] Errors(Func<ISolver> solver, int[] stepCounts) => stepCounts.Select(n =>
        {
            var (x, _) = Harness.Run(solver(), Mixture, Schedule, Initial, Harness.LogSnrTimes(Schedule, T0, T1, n));
            using (x) return Harness.Rmse(x, Exact);
        }).ToArray();
    }

    /// <summary>log2 of the error ratios of successive doublings.</summary>
    public static double[] Orders(double[] errors) =>
        errors.Skip(1).Select((e, i) => Math.Log2(errors[i] / e)).ToArray();

    public static string Describe(int[] steps, double[] errors) =>
        string.Join(", ", steps.Zip(errors, (n, e) => $"{n}: {e:E2}")) + "; orders " +
        string.Join(", ", Orders(errors).Select(o => o.ToString("F2")));
}
