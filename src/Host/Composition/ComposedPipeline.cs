using Newtonsoft.Json.Linq;
using Pipeline.Guidance;
using Pipeline.Host.Definitions;
using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Host.Composition;

/// <summary>A definition turned into plugin instances, ready to run. <see cref="Resolved"/> reproduces it.</summary>
public sealed class ComposedPipeline : IDisposable
{
    public required string Name { get; init; }
    public required JObject Resolved { get; init; }
    public required RunEnvironment Environment { get; init; }
    public required IDiffusionModel Model { get; init; }
    public required INoiseSchedule Schedule { get; init; }
    public required ITimeStepSchedule TimeSteps { get; init; }
    public required ISolver Solver { get; init; }
    public required IReadOnlyList<IGuidance> Guidance { get; init; }

    /// <summary>Metrics scored after the run and written into report.json.</summary>
    public required IReadOnlyList<Metrics.IMetric> Metrics { get; init; }

    /// <summary>The model adapted to eps/x_0 and wrapped by every guidance step, in list order.</summary>
    public required IConditionalDenoiser Denoiser { get; init; }

    public required IReadOnlyList<double> Times { get; init; }
    public required long[] SampleShape { get; init; }

    /// <summary>One seed per sample.</summary>
    public required long[] Seeds { get; init; }

    /// <summary>One label per sample, or null for unconditional sampling.</summary>
    public long[]? Labels { get; init; }

    /// <summary>Initial noise from a file, [count, ...shape] on the CPU, or null to draw it from the seeds.</summary>
    public torch.Tensor? InitialNoise { get; init; }

    public required SamplingSettings Sampling { get; init; }
    public required OutputSettings Outputs { get; init; }

    public int Count => Sampling.Count;
    public int BatchSize => Math.Min(Count, Sampling.BatchSize ?? 1024);

    /// <summary>Model evaluations per sample, as the solver predicts them.</summary>
    public int ExpectedEvaluations => Solver.Evaluations(Times);

    public void Dispose()
    {
        InitialNoise?.Dispose();
        (Model as IDisposable)?.Dispose();
        foreach (var m in Metrics) (m as IDisposable)?.Dispose();
    }
}
