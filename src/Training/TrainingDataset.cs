using Pipeline.Training;

namespace Pipeline.Host.Training;

/// <summary>An <see cref="ITrainingDataset"/> made from a function: (folder or null, base folder) -> the data.</summary>
public sealed record TrainingDataset(string Name, string Summary, Func<string?, string, TrainingData> Loader) : ITrainingDataset
{
    public TrainingData Load(string? folder, string baseDirectory) => Loader(folder, baseDirectory);
}
