namespace Pipeline.Sampling;

/// <summary>Watches a sampling run step by step: progress, trajectory recording, NFE counting.</summary>
public interface ISamplingObserver
{
    void OnStep(in StepInfo step);
}
