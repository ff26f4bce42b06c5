using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Optimizers;

/// <summary>
/// The pipeline an offline optimizer works on: its parts as composed, its samples' noise and labels, and
/// a way to run it with other times or another solver and score the result with the optimization's metric.
/// </summary>
public interface IOptimizationTarget
{
    RunEnvironment Environment { get; }

    IDiffusionModel Model { get; }

    INoiseSchedule Schedule { get; }

    /// <summary>The pipeline's solver (online optimizers applied).</summary>
    ISolver Solver { get; }

    /// <summary>The pipeline's times (its time-step schedule evaluated).</summary>
    IReadOnlyList<double> Times { get; }

    /// <summary>Shape of one sample.</summary>
    long[] SampleShape { get; }

    /// <summary>Number of samples in the pipeline (sampling.count).</summary>
    int Count { get; }

    /// <summary>The pipeline's batch size.</summary>
    int BatchSize { get; }

    /// <summary>
    /// x_T of samples [start, start + count) on the run's device, exactly as a run at <see cref="Times"/> starts: a draw
    /// from the schedule's prior at Times[0] (<see cref="INoiseSchedule.PriorStd"/>), from their seeds or the initial-noise file.
    /// </summary>
    torch.Tensor InitialNoise(int start, int count);

    /// <summary>The labels of samples [start, start + count) as int64 on the run's device, or null when unconditional.</summary>
    torch.Tensor? Labels(int start, int count);

    /// <summary>
    /// The guided model (the pipeline's guidance applied) with <paramref name="labels"/> bound, as a solver sees
    /// it. Dispose it when done; it counts evaluations in <see cref="IEvaluationCounter.Evaluations"/>.
    /// </summary>
    IDenoiser Denoiser(torch.Tensor? labels);

    /// <summary>A noise source for stochastic solvers over samples [start, start + count), from their seeds.</summary>
    INoiseSource Noise(int start, int count);

    /// <summary>
    /// Runs the whole pipeline (every sample, batched) at <paramref name="times"/> with <paramref name="solver"/>
    /// (null: the pipeline's) and scores the samples with the optimization's metric. Lower is better.
    /// Throws <see cref="Options.PipelineInputException"/> when the solver cannot run at these times.
    /// </summary>
    TargetScore Score(IReadOnlyList<double> times, ISolver? solver = null, CancellationToken cancellation = default);

    /// <summary>
    /// Builds a solver from its definition <c>{ "type": ..., ...options }</c>, as the pipeline's "solver" section would
    /// be built (without the pipeline's online optimizers), so an optimizer can score other solvers than the pipeline's.
    /// <paramref name="path"/> is the definition's JSON path for error messages. Throws
    /// <see cref="Options.PipelineInputException"/> for an unknown solver or bad options.
    /// </summary>
    ISolver CreateSolver(System.Text.Json.Nodes.JsonObject definition, string path) =>
        throw new Options.PipelineInputException("this host cannot build solvers for an optimizer; leave out the optimizer's solver list", path);
}

/// <summary>A run's scores: the headline first (lower is better), every score by name, and the NFE used.</summary>
public sealed record TargetScore(double Value, IReadOnlyDictionary<string, double> Scores, int Nfe, double Seconds);

/// <summary>Implemented by denoisers that count their model evaluations.</summary>
public interface IEvaluationCounter
{
    int Evaluations { get; }
}
