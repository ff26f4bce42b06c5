using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.SolverKit;

/// <summary>
/// The loop every solver with one update per interval of the time grid shares: schedule values computed once on the
/// host, one dispose scope per step (only the new x leaves it), the previous x disposed once the next exists, and the
/// observer told after each step. Methods whose updates span several intervals, or whose attempts may be rejected,
/// use <see cref="SolverRun"/>, on which this loop is built.
/// </summary>
/// <remarks>
/// The dispose rules a step function relies on: every tensor it makes is disposed when it returns, except the tensor it
/// returns; it must not dispose or write the x it is given (the loop owns it; on the first step it is an alias of
/// <see cref="SamplingContext.Initial"/>, which belongs to the host); what it keeps across steps it detaches from the
/// scope itself (<see cref="MultistepHistory.Push(TimePoint, Tensor)"/> does this).
/// </remarks>
public static class StepLoop
{
    /// <summary>Maps x at <see cref="SolverStep.From"/> to a new tensor at <see cref="SolverStep.To"/>; never writes x.</summary>
    /// <param name="x">The state at the step's start, owned by the loop.</param>
    /// <param name="step">The step's index and schedule values.</param>
    public delegate Tensor Step(Tensor x, SolverStep step);

    /// <summary>Runs <paramref name="step"/> over every step of <paramref name="context"/> and returns the final x, which the caller owns.</summary>
    /// <param name="context">The run: schedule, times, initial x, observer.</param>
    /// <param name="step">One step of the method.</param>
    public static Tensor Run(SamplingContext context, Step step) => Run(context, step, denoiseAtEnd: false);

    /// <summary>
    /// Runs <paramref name="step"/> over every step of <paramref name="context"/>, then, with <paramref name="denoiseAtEnd"/>,
    /// the final denoising step x_0 = D(x, t_N) (one more evaluation; the last step is reported once, after it, ending
    /// at t = 0: see <see cref="SolverRun"/>). Returns the final x, which the caller owns.
    /// </summary>
    /// <param name="context">The run: schedule, times, initial x, observer.</param>
    /// <param name="step">One step of the method.</param>
    /// <param name="denoiseAtEnd">True to end with the data prediction at the last time.</param>
    public static Tensor Run(SamplingContext context, Step step, bool denoiseAtEnd)
    {
        var points = TimePoint.Along(context.Schedule, context.Times);
        using var run = new SolverRun(context, denoiseAtEnd);
        for (int i = 0; i < context.Steps; i++)
            run.Advance(new SolverStep(i, points[i], points[i + 1], i == context.Steps - 1), step);
        return run.Finish();
    }
}
