using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>Training and held-out images with their labels; the caller owns and disposes the tensors.</summary>
public sealed record TrainingData(Tensor TrainImages, Tensor TrainLabels, Tensor HeldOutImages, Tensor HeldOutLabels);
