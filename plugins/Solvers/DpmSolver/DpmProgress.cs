using Pipeline.Sampling;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>
/// Tells the observer about each finished step and honours cancellation. Step indices are in 0 .. Steps - 1 of the
/// given times (a singlestep step reports the last interval it covered; an adaptive step the share of lambda done),
/// so the host's per-step tables fit. With a final denoising step the last solver step is reported once, after it.
/// </summary>
internal sealed class DpmProgress(SamplingContext context, bool holdLast)
{
    double heldFrom = double.NaN;

    public void Step(int step, double from, double to, Tensor x, bool last)
    {
        if (holdLast && last)
        {
            heldFrom = from;
            context.Cancellation.ThrowIfCancellationRequested();
            return;
        }
        Report(step, from, to, x);
    }

    /// <summary>The held last step, now ending in the denoised x at t = 0.</summary>
    public void Denoised(Tensor x) => Report(context.Steps - 1, heldFrom, 0, x);

    void Report(int step, double from, double to, Tensor x)
    {
        // Not clamped: a clamp would turn a wrong index into a plausible one, and the host's per-step tables rely on it.
        if (step < 0 || step >= context.Steps)
            throw new InvalidOperationException($"DPM-Solver reported step {step} of a run of {context.Steps} steps (t = {from:G6} -> {to:G6})");
        context.Observer?.OnStep(new StepInfo(step, context.Steps, from, to, x));
        context.Cancellation.ThrowIfCancellationRequested();
    }
}
