using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Running;
using Xunit;

namespace MySolver.Tests;

/// <summary>
/// The solver against exact mathematics: on the analytic Gaussian mixture (model "gmm") the probability-flow ODE
/// has an exact solution from the same x_T, so the error of the final samples is measurable ("exact-ode-error")
/// and must fall like the step size to the power of the solver's order.
/// </summary>
public class MySolverTests
{
    static readonly PipelineHost Host = new([Path.Combine(AppContext.BaseDirectory, "solver-under-test")]);

    static string Definition(int steps, double scale = 1.0) => $$"""
        {
          "model": { "type": "gmm", "weights": [0.2, 0.5, 0.3],
                     "means": [[-2, 0], [1, 1.5], [1.5, -1.5]], "stds": [[0.5], [0.5], [0.5]] },
          "noiseSchedule": { "type": "discrete", "betaSchedule": "linear" },
          "timeSteps": { "type": "logsnr-uniform", "steps": {{steps}} },
          "solver": { "type": "mysolver", "scale": {{scale.ToString(System.Globalization.CultureInfo.InvariantCulture)}} },
          "metrics": [{ "type": "exact-ode-error" }],
          "sampling": { "count": 64, "batchSize": 64, "seed": 0, "device": "cpu", "dtype": "float64" }
        }
        """;

    static double Error(int steps, double scale = 1.0)
    {
        using var pipeline = Host.Compose(PipelineDefinition.Parse(Definition(steps, scale), AppContext.BaseDirectory));
        using var result = Host.Sample(pipeline);
        Assert.Equal(steps, result.Nfe);
        JObject scores = MetricScores.Score(pipeline, result);
        return (double)scores["exact-ode-error"]!["rmse"]!;
    }

    [Fact]
    public void ConvergesAtFirstOrder()
    {
        // Halving the step halves a first-order error: the observed order log2(coarse / fine) is near 1 once the
        // steps are short enough (DDIM here: 0.13, 0.077, 0.031, 0.015, 0.0072 at 25 to 400 steps; orders 0.7, 1.3, 1.1, 1.0).
        double coarse = Error(100), fine = Error(200);
        Assert.InRange(Math.Log2(coarse / fine), 0.8, 1.3);
        Assert.True(fine < 0.03, $"error {fine} after 200 steps");
    }

    [Fact]
    public void AWrongStepIsSeen()
    {
        // The check can fail: a solver whose step is off by 10% does not converge to the exact solution.
        Assert.True(Error(200, scale: 1.1) > 5 * Error(200));
    }
}
