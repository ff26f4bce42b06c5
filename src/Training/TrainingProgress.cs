namespace Pipeline.Host.Training;

/// <summary>Reported every logEvery steps and at the end: the mean loss since the last report.</summary>
public readonly record struct TrainingProgress(int Step, int Steps, int FirstStep, double Loss, double LearningRate, TimeSpan Elapsed)
{
    /// <summary>Steps per second in this session.</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? (Step - FirstStep) / Elapsed.TotalSeconds : 0;

    /// <summary>Estimated time to the last step at this session's rate.</summary>
    public TimeSpan? Remaining => Rate > 0 ? TimeSpan.FromSeconds((Steps - Step) / Rate) : null;
}
