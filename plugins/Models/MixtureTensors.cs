using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models;

/// <summary>
/// The mixture's parameters as float64 tensors, made once per device so that evaluating the mixture never
/// copies from the host. They live outside any caller's dispose scope and are freed with the mixture.
/// </summary>
sealed class MixtureTensors(double[] weights, double[] means, double[] variances, int components, int dimension) : IDisposable
{
    readonly Dictionary<(DeviceType, int), Parameters> _byDevice = [];
    readonly Lock _lock = new();

    public sealed record Parameters(Tensor Weights, Tensor LogWeights, Tensor Means, Tensor Variances);

    public Parameters On(Device device)
    {
        lock (_lock)
        {
            var key = (device.type, device.index);
            if (_byDevice.TryGetValue(key, out var p)) return p;
            p = new Parameters(
                Make(weights, [components], device),
                Make(weights.Select(w => Math.Log(w)).ToArray(), [components], device),
                Make(means, [components, dimension], device),
                Make(variances, [components, dimension], device));
            _byDevice[key] = p;
            return p;
        }
    }

    static Tensor Make(double[] values, long[] shape, Device device) =>
        tensor(values, shape, float64, device).DetachFromDisposeScope();

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var p in _byDevice.Values)
            {
                p.Weights.Dispose();
                p.LogWeights.Dispose();
                p.Means.Dispose();
                p.Variances.Dispose();
            }
            _byDevice.Clear();
        }
    }
}
