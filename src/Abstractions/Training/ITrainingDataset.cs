namespace Pipeline.Training;

/// <summary>A data set a plugin offers to <c>train</c>. Export with <c>[Export(typeof(ITrainingDataset))]</c>.</summary>
public interface ITrainingDataset
{
    /// <summary>Canonical name used in training files (<c>"dataset"</c>).</summary>
    string Name { get; }

    /// <summary>One line shown in error messages.</summary>
    string Summary { get; }

    /// <summary>Reads the data from <paramref name="folder"/> (null: the data set's default place), relative paths against <paramref name="baseDirectory"/>.</summary>
    TrainingData Load(string? folder, string baseDirectory);
}
