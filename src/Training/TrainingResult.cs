namespace Pipeline.Host.Training;

/// <summary>What a training session did.</summary>
/// <param name="Output">The output folder.</param>
/// <param name="Checkpoint">The network's checkpoint (weights; its JSON is beside it).</param>
/// <param name="Step">Steps done in total.</param>
/// <param name="ResumedFrom">The step this session started from (0 for a fresh run).</param>
/// <param name="Stopped">Why it stopped: "completed", "time limit" or "cancelled".</param>
/// <param name="Evaluation">Held-out scores of the checkpoint's network (accuracy, validation loss, ...).</param>
public sealed record TrainingResult(
    string Output,
    string Checkpoint,
    int Step,
    int Steps,
    int ResumedFrom,
    string Stopped,
    double? Loss,
    IReadOnlyDictionary<string, double> Evaluation,
    TimeSpan SessionTime,
    TimeSpan TotalTime)
{
    public bool Completed => Step >= Steps;
}
