using Pipeline.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Tests.TestSupport;

/// <summary>An observer that keeps every report (without its x) and a copy of the newest x; the test disposes <see cref="Last"/>.</summary>
public sealed class StepRecorder : ISamplingObserver
{
    public List<StepInfo> Steps { get; } = [];

    public Tensor? Last { get; private set; }

    public void OnStep(in StepInfo step)
    {
        Steps.Add(step with { X = null! });
        Last?.Dispose();
        Last = step.X.clone();
    }
}
