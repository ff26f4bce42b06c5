namespace Pipeline.Training;

/// <summary>
/// Reads checkpoints of the network named <see cref="Name"/> (for example a distillation teacher). Export with
/// <c>[Export(typeof(ITrainingCheckpointReader))]</c>.
/// </summary>
public interface ITrainingCheckpointReader
{
    /// <summary>The <see cref="ITrainableNetwork.Name"/> whose checkpoints this reads.</summary>
    string Name { get; }

    /// <summary>The network in eval mode on the CPU, with its architecture JSON and its training JSON (null when absent).</summary>
    TrainedCheckpoint Read(string path);
}
