using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>
/// Reported after each solver step. <see cref="X"/> is the state after the step; it is valid only during
/// the call (copy it to keep it).
/// </summary>
public readonly record struct StepInfo(int Step, int Steps, double TFrom, double TTo, torch.Tensor X);
