using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.SolverKit;

/// <summary>
/// The loop every solver shares: schedule values computed once on the host, one dispose scope per step (only the new
/// x leaves it), the previous x disposed once the next exists, and the observer told after each step.
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
    public static Tensor Run(SamplingContext context, Step step)
    {
        var points = TimePoint.Along(context.Schedule, context.Times);
        // A handle of our own, so the loop can dispose every x it holds; context.Initial is only read.
        var x = context.Initial.alias();
        try
        {
            for (int i = 0; i < context.Steps; i++)
            {
                Tensor next;
                using (var scope = torch.NewDisposeScope())
                    next = scope.MoveToOuter(step(x, new SolverStep(i, points[i], points[i + 1], i == context.Steps - 1)));
                x.Dispose();
                x = next;
                // Outside the step's scope, so an observer's copies of x are its own to keep.
                context.Completed(i, x);
            }
            return x;
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }
}
