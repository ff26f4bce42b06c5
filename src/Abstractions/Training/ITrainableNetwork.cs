namespace Pipeline.Training;

/// <summary>
/// A network a plugin offers to the host's <c>train</c> command. Export an implementation with
/// <c>[Export(typeof(ITrainableNetwork))]</c>; the host finds it in the plugin assemblies it loaded.
/// </summary>
public interface ITrainableNetwork
{
    /// <summary>Canonical name used in training files (<c>"network"</c>).</summary>
    string Name { get; }

    /// <summary>Other names accepted for it.</summary>
    IReadOnlyList<string> Aliases { get; }

    /// <summary>How the host trains it: one of <see cref="TrainingRoles"/>.</summary>
    string Role { get; }

    /// <summary>One line shown in error messages and listings.</summary>
    string Summary { get; }

    /// <summary>A fresh network from an architecture JSON object (null: the defaults).</summary>
    TrainableNetworkInstance Create(string? architecture);
}
