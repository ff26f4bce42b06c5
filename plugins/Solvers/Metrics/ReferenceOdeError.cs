using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Metrics;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Metrics;

[Plugin(PluginKinds.Metric, "reference-ode-error", Aliases = "ode-error-reference,rmse-reference",
    Summary = "RMSE and max error against an accurate many-step solution of the probability-flow ODE from the same x_T with the same model (any model)")]
public sealed class ReferenceOdeErrorExport : PluginExport<ReferenceOdeError, ReferenceOdeErrorOptions>;

public sealed class ReferenceOdeErrorOptions
{
    [Description("the accurate solver of the reference")]
    public ReferenceSolver Solver { get; set; } = ReferenceSolver.Unipc;

    [Description("reference steps, uniform in log-SNR between the run's first and last time (one evaluation each)"), Range(10, 100_000)]
    public int Steps { get; set; } = 200;

    [Description("samples per reference batch"), Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// How far an ODE solver's samples are from the probability-flow solution started at the same x_T, when no exact
/// solution exists (a network): the reference is an accurate multistep solver on a fine log-SNR grid between the run's
/// first and last time, with the run's own guided model and labels. Its own error falls as steps^-3 (UniPC-3), so at the
/// default 200 steps it is far below the few-step errors this metric compares. Kept for the last (x_T, times) pair, so
/// comparing many solvers on one set of x_T computes it once.
/// </summary>
public sealed class ReferenceOdeError(ReferenceOdeErrorOptions options, RunEnvironment environment) : IMetric, IDisposable
{
    (double Start, double End, double Checksum, long Count)? key;
    Tensor? reference;

    public IEnumerable<string> Check(MetricPlan plan)
    {
        if (plan.Times.Count > 0 && !(plan.Times[^1] > 0))
            yield return EndsAtZero;
    }

    const string EndsAtZero =
        "the reference-ode-error metric needs a run that ends above t = 0 (the reference solver evaluates the model at its last time); end the time-step schedule at its tMin";

    public IReadOnlyDictionary<string, double> Score(MetricContext context)
    {
        var solution = Reference(context);
        using var scope = NewDisposeScope();
        var diff = context.Samples.to(ScalarType.Float64).reshape(solution.shape).sub(solution);
        return new Dictionary<string, double>
        {
            ["rmse"] = diff.Squared().mean().sqrt().item<double>(),
            ["max-abs-error"] = diff.abs().max().item<double>(),
            ["reference-nfe"] = options.Steps,
        };
    }

    Tensor Reference(MetricContext context)
    {
        double start = context.Times[0], end = context.Times[^1];
        if (!(end > 0))
            throw new PipelineInputException(EndsAtZero, "$.metrics");
        var now = context.ReferenceKey();
        if (reference is not null && key == now) return reference;

        reference?.Dispose();
        reference = null;
        var times = ReferenceSolvers.LogSnrGrid(context.Model.Schedule, start, end, options.Steps);
        var solver = ReferenceSolvers.Create(options.Solver);
        long count = context.Initial.shape[0];
        var parts = new List<Tensor>();
        try
        {
            for (long first = 0; first < count; first += options.BatchSize)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                long n = Math.Min(options.BatchSize, count - first);
                using var scope = NewDisposeScope();
                var x = context.Initial.narrow(0, first, n).to(environment.Device).to_type(environment.DType);
                var labels = context.Labels?.narrow(0, first, n).to(environment.Device);
                var model = new BoundDenoiser(context.Model, new Conditioning(labels));
                var sampling = new SamplingContext { Model = model, Times = times, Initial = x, Noise = NoNoise.Instance, Cancellation = context.Cancellation };
                parts.Add(scope.MoveToOuter(solver.Sample(sampling).to(ScalarType.Float64).cpu()));
            }
            reference = cat(parts.ToArray(), 0).DetachFromDisposeScope();
            key = now;
            return reference;
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    public void Dispose() => reference?.Dispose();

    /// <summary>The run's guided model with a batch's labels bound.</summary>
    sealed class BoundDenoiser(IConditionalDenoiser inner, Conditioning conditioning) : IDenoiser
    {
        public INoiseSchedule Schedule => inner.Schedule;

        public ModelOutput Predict(Tensor x, double t) => inner.Predict(x, t, conditioning);
    }

    /// <summary>The reference solvers are deterministic; any draw is a bug.</summary>
    sealed class NoNoise : INoiseSource
    {
        public static NoNoise Instance { get; } = new();

        public Tensor NormalLike(Tensor like) => throw new InvalidOperationException("the reference ODE solver drew noise");
    }
}
