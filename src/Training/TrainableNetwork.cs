using Pipeline.Training;

namespace Pipeline.Host.Training;

/// <summary>An <see cref="ITrainableNetwork"/> made from a function, for programs that train a network of their own without a plugin.</summary>
public sealed record TrainableNetwork(string Name, IReadOnlyList<string> Aliases, string Role, string Summary,
    Func<string?, TrainableNetworkInstance> Factory) : ITrainableNetwork
{
    public TrainableNetworkInstance Create(string? architecture) => Factory(architecture);
}
