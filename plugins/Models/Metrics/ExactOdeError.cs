using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Metrics;
using Pipeline.Options;
using TorchSharp;

namespace Pipeline.Plugins.Models.Metrics;

[Plugin(PluginKinds.Metric, "exact-ode-error", Aliases = "ode-error,rmse-exact",
    Summary = "RMSE and max error against the exact probability-flow solution from the same x_T (gmm model only)")]
public sealed class ExactOdeErrorExport : PluginExport<ExactOdeError, ExactOdeErrorOptions>;

public sealed class ExactOdeErrorOptions
{
    [Description("rtol and atol of the adaptive Dormand-Prince integration of the exact flow"), Range(1e-14, 1e-4)]
    public double Tolerance { get; set; } = ExactProbabilityFlow.DefaultTolerance;
}

/// <summary>
/// How far an ODE solver's samples are from the exact solution of the probability-flow ODE started at the
/// same x_T, integrated in float64 to the solver's final time. The exact solution is kept for the last
/// (x_T, times) pair, so comparing many solvers on one set of x_T integrates once.
/// </summary>
public sealed class ExactOdeError(ExactOdeErrorOptions options) : IMetric, IDisposable
{
    (double Start, double End, double Checksum, long Count)? key;
    torch.Tensor? exact;

    public IEnumerable<string> Check(MetricPlan plan)
    {
        if (plan.Model.Model is not GaussianMixtureModel)
            yield return "the exact-ode-error metric needs the analytic 'gmm' model (only its flow has an exact solution); use reference-ode-error for other models";
    }

    public IReadOnlyDictionary<string, double> Score(MetricContext context)
    {
        if (context.Model.Model is not GaussianMixtureModel gmm)
            throw new PipelineInputException("the exact-ode-error metric needs the analytic 'gmm' model; use another metric for other models", "$.model");
        context.Cancellation.ThrowIfCancellationRequested();
        var reference = Exact(gmm, context);
        context.Cancellation.ThrowIfCancellationRequested();
        using var scope = torch.NewDisposeScope();
        var diff = context.Samples.to(torch.ScalarType.Float64).reshape(reference.shape).sub(reference);
        double rmse = diff.Squared().mean().sqrt().item<double>();
        double max = diff.abs().max().item<double>();
        return new Dictionary<string, double> { ["rmse"] = rmse, ["max-abs-error"] = max };
    }

    torch.Tensor Exact(GaussianMixtureModel gmm, MetricContext context)
    {
        var now = context.ReferenceKey();
        if (exact is null || key != now)
        {
            exact?.Dispose();
            using var initial64 = context.Initial.to(torch.ScalarType.Float64);
            exact = ExactProbabilityFlow.Solve(gmm.Mixture, context.Model.Schedule, initial64, now.Start, now.End,
                options.Tolerance, options.Tolerance, context.Labels).cpu().DetachFromDisposeScope();
            key = now;
        }
        return exact;
    }

    public void Dispose() => exact?.Dispose();
}
