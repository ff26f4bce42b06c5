using Pipeline.Sampling;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.SolverKit;

/// <summary>
/// The x of one run and its dispose discipline, for methods whose updates are not one per interval of the time grid:
/// a singlestep update that spans k intervals, an adaptive attempt that may be rejected, a final denoising step after
/// the last time. <see cref="StepLoop.Run(SamplingContext, StepLoop.Step)"/> is this with one update per interval.
/// </summary>
/// <remarks>
/// Each update runs in a dispose scope of its own and only the tensor it returns leaves it; the previous x is disposed
/// once the next exists; the observer is told after each update and cancellation is honoured there. The update obeys
/// the rules of <see cref="StepLoop.Step"/>. Create the run with <c>using</c>, so that x is disposed when an update
/// throws, and end it with <see cref="Finish"/>, which hands the final x to the caller.
/// <para>
/// Progress: an update is reported as <see cref="SolverStep.Index"/> of the run's <see cref="SamplingContext.Steps"/>,
/// from <see cref="SolverStep.From"/> to <see cref="SolverStep.To"/>; a method whose update covers several intervals
/// reports the last interval it covered, so the host's per-step tables fit. An index outside 0 .. Steps - 1 is refused
/// rather than clamped. With a final denoising step the update marked <see cref="SolverStep.IsLast"/> is not reported
/// (cancellation is still honoured); <see cref="Finish"/> reports it once, as step Steps - 1 from its start to t = 0.
/// </para>
/// </remarks>
public sealed class SolverRun : IDisposable
{
    readonly SamplingContext context;
    readonly bool denoiseAtEnd;
    double heldFrom = double.NaN;
    Tensor? x;

    /// <summary>Starts a run at <see cref="SamplingContext.Initial"/>, which is only read (the run holds an alias of its own).</summary>
    /// <param name="context">The run: model, times, initial x, observer, cancellation.</param>
    /// <param name="denoiseAtEnd">
    /// True when <see cref="Finish"/> takes one more step: the data prediction at the last time, x_0 = D(x, t_N), one model
    /// evaluation (the final denoising step of DPM-Solver and of Karras et al.'s samplers).
    /// </param>
    public SolverRun(SamplingContext context, bool denoiseAtEnd = false)
    {
        this.context = context;
        this.denoiseAtEnd = denoiseAtEnd;
        x = context.Initial.alias();
    }

    /// <summary>The current x, owned by the run: read it, never dispose or write it.</summary>
    /// <exception cref="InvalidOperationException">The run has finished.</exception>
    public Tensor X => x ?? throw new InvalidOperationException("the run has finished; its x belongs to the caller of Finish");

    /// <summary>Replaces x by <paramref name="update"/>(x, <paramref name="step"/>) and reports <paramref name="step"/>.</summary>
    /// <param name="step">What the update covers: the index it is reported as, its start and end, whether it is the last.</param>
    /// <param name="update">The method's update from <see cref="SolverStep.From"/> to <see cref="SolverStep.To"/>.</param>
    public void Advance(SolverStep step, StepLoop.Step update) => TryAdvance(step, (x, s) => update(x, s));

    /// <summary>An update that may decline: it returns the new x, or null to leave x as it is (a rejected attempt of step-size control).</summary>
    /// <param name="x">The current x, owned by the run.</param>
    /// <param name="step">What the update would cover.</param>
    public delegate Tensor? Attempt(Tensor x, SolverStep step);

    /// <summary>
    /// Runs <paramref name="attempt"/> in a dispose scope; when it returns a tensor, that becomes x and <paramref name="step"/>
    /// is reported as by <see cref="Advance"/>; when it returns null, its temporaries are disposed, x is kept and nothing is reported.
    /// </summary>
    /// <param name="step">What the update covers.</param>
    /// <param name="attempt">The method's update, or null for a rejected attempt.</param>
    /// <returns>True when the attempt was accepted.</returns>
    public bool TryAdvance(SolverStep step, Attempt attempt)
    {
        var current = X;
        Tensor? next;
        using (var scope = torch.NewDisposeScope())
        {
            next = attempt(current, step);
            if (next is null) return false;
            scope.MoveToOuter(next);
        }
        current.Dispose();
        x = next;
        if (denoiseAtEnd && step.IsLast)
        {
            heldFrom = step.From.T;
            context.Cancellation.ThrowIfCancellationRequested();
        }
        else Report(step.Index, step.From.T, step.To.T, next);
        return true;
    }

    /// <summary>
    /// Ends the run: with the final denoising step, x becomes the data prediction at the last time (reported as step
    /// Steps - 1, from the start of the held last update to t = 0). The returned x belongs to the caller.
    /// </summary>
    public Tensor Finish()
    {
        if (denoiseAtEnd)
        {
            var current = X;
            Tensor denoised;
            using (var scope = torch.NewDisposeScope())
                denoised = scope.MoveToOuter(context.Model.Data(current, context.Times[^1]));
            current.Dispose();
            x = denoised;
            Report(context.Steps - 1, heldFrom, 0, denoised);
        }
        var result = X;
        x = null;
        return result;
    }

    void Report(int index, double from, double to, Tensor state)
    {
        // Not clamped: a clamp would turn a wrong index into a plausible one, and the host's per-step tables rely on it.
        if (index < 0 || index >= context.Steps)
            throw new InvalidOperationException($"a solver reported step {index} of a run of {context.Steps} steps (t = {from:G6} -> {to:G6})");
        // Outside the update's scope, so an observer's copies of x are its own to keep.
        context.Observer?.OnStep(new StepInfo(index, context.Steps, from, to, state));
        context.Cancellation.ThrowIfCancellationRequested();
    }

    /// <summary>Disposes x unless <see cref="Finish"/> has handed it over (after an update threw, for instance).</summary>
    public void Dispose()
    {
        x?.Dispose();
        x = null;
    }
}
