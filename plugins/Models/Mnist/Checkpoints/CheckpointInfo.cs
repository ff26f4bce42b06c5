using System.Text.Json.Nodes;

namespace Pipeline.Plugins.Models.Mnist.Checkpoints;

/// <summary>
/// The JSON beside a checkpoint's weights: which network, its architecture, the size and SHA-256 of the
/// weights file (so a truncated or swapped file is caught before loading), whether the weights are the
/// exponential moving average, and how the network was trained.
/// </summary>
public sealed record CheckpointInfo(
    string Network,
    JsonObject Architecture,
    long Parameters,
    bool Ema,
    long WeightsBytes,
    string WeightsSha256,
    JsonNode? Training);
