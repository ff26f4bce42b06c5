using TorchSharp;

namespace Pipeline.Training;

/// <summary>A network read from a checkpoint, its architecture JSON, and the training JSON it was saved with (or null).</summary>
public sealed record TrainedCheckpoint(torch.nn.Module Network, string Architecture, string? Training);
