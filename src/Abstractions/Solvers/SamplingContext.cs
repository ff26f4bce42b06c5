using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Solvers;

/// <summary>Everything a solver needs for one batch.</summary>
public sealed class SamplingContext
{
    public required IDenoiser Model { get; init; }

    public INoiseSchedule Schedule => Model.Schedule;

    /// <summary>Strictly decreasing times, steps + 1 of them.</summary>
    public required IReadOnlyList<double> Times { get; init; }

    /// <summary>Initial state x_T, shape [B, ...]. The solver must not modify it in place.</summary>
    public required torch.Tensor Initial { get; init; }

    public required INoiseSource Noise { get; init; }

    public ISamplingObserver? Observer { get; init; }

    public CancellationToken Cancellation { get; init; }

    public int Steps => Times.Count - 1;

    /// <summary>Call after each step: reports it and honours cancellation.</summary>
    public void Completed(int step, torch.Tensor x)
    {
        Observer?.OnStep(new StepInfo(step, Steps, Times[step], Times[step + 1], x));
        Cancellation.ThrowIfCancellationRequested();
    }
}
