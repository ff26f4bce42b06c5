using TorchSharp;

namespace Pipeline.Host.Running;

/// <summary>What a run produced: samples (and optionally the trajectory) on the CPU, with the figures of its report.</summary>
public sealed class RunResult : IDisposable
{
    /// <summary>Final samples [count, ...shape], on the CPU, in the run's dtype.</summary>
    public required torch.Tensor Samples { get; init; }

    /// <summary>The x_T each sample started from [count, ...shape], on the CPU.</summary>
    public required torch.Tensor Initial { get; init; }

    /// <summary>States after every step [steps + 1, count, ...shape] (the first is x_T), when recorded.</summary>
    public torch.Tensor? Trajectory { get; init; }

    /// <summary>Model evaluations per sample (NFE).</summary>
    public required int Nfe { get; init; }

    /// <summary>Model evaluations over all batches.</summary>
    public required long Evaluations { get; init; }

    public required TimeSpan SamplingTime { get; init; }

    /// <summary>Wall time inside model evaluations.</summary>
    public required TimeSpan ModelTime { get; init; }

    /// <summary>Mean wall time of each step over the batches, in seconds.</summary>
    public required double[] StepSeconds { get; init; }

    public required int Batches { get; init; }

    public void Dispose()
    {
        Samples.Dispose();
        Initial.Dispose();
        Trajectory?.Dispose();
    }
}
