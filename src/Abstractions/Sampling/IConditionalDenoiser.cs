using Pipeline.Models;
using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>
/// The model, adapted to give both eps and x_0, evaluated with explicit conditions. Guidance plugins
/// decorate this; the host binds the conditions and hands solvers an <see cref="IDenoiser"/>.
/// </summary>
public interface IConditionalDenoiser
{
    Schedules.INoiseSchedule Schedule { get; }

    IDiffusionModel Model { get; }

    ModelOutput Predict(torch.Tensor x, double t, Conditioning conditioning);
}
