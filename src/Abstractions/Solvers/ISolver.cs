using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Solvers;

/// <summary>A sampler: from x_T along the given times to the final x.</summary>
public interface ISolver
{
    /// <summary>
    /// Problems with this solver on this schedule and these times, checked before anything runs
    /// (for example a VP-only sampler on a VE schedule, or too few steps). Empty when it can run.
    /// </summary>
    IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) => [];

    /// <summary>Model evaluations the solver will make for the given times (for progress and reports).</summary>
    int Evaluations(IReadOnlyList<double> times) => times.Count - 1;

    /// <summary>Runs the solver. Returns a new tensor; per-step temporaries are disposed.</summary>
    torch.Tensor Sample(SamplingContext context);
}
