using TorchSharp;

namespace Pipeline.Models;

/// <summary>A model evaluation expressed both as noise and as data prediction; solvers use one or the other.</summary>
public readonly record struct ModelOutput(torch.Tensor Epsilon, torch.Tensor Data);
