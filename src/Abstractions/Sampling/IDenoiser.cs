using Pipeline.Models;
using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>What a solver calls: the guided model at (x, t), as both eps and x_0. Each call is one NFE.</summary>
public interface IDenoiser
{
    Schedules.INoiseSchedule Schedule { get; }

    ModelOutput Predict(torch.Tensor x, double t);

    /// <summary>Noise prediction eps(x, t).</summary>
    torch.Tensor Epsilon(torch.Tensor x, double t) => Predict(x, t).Epsilon;

    /// <summary>Data prediction x_0(x, t).</summary>
    torch.Tensor Data(torch.Tensor x, double t) => Predict(x, t).Data;
}
