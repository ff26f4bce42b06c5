using TorchSharp;

namespace Pipeline.Training;

/// <summary>A network built for training, the architecture it resolved to, and how its checkpoint is written.</summary>
/// <param name="Network">The module the trainer optimizes.</param>
/// <param name="Architecture">The architecture JSON with every default filled in.</param>
/// <param name="Save">Writes a checkpoint: (path, whether the weights are an exponential moving average, training JSON or null).</param>
public sealed record TrainableNetworkInstance(torch.nn.Module Network, string Architecture, Action<string, bool, string?> Save);
