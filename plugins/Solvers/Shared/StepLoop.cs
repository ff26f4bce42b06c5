using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The loop every single-step solver shares: schedule values computed once on the host, one dispose
/// scope per step (only the new x leaves it), the observer told after each step.
/// </summary>
internal static class StepLoop
{
    /// <summary>Maps x at <see cref="SolverStep.From"/> to a new tensor at <see cref="SolverStep.To"/>; never writes x.</summary>
    public delegate Tensor Step(Tensor x, SolverStep step);

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
