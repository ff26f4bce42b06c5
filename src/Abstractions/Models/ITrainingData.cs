using TorchSharp;

namespace Pipeline.Models;

/// <summary>
/// Implemented by a model that can supply samples of the data it models: the analytic mixture draws exact
/// samples, a network reads its training set. Offline optimizers that average over data use it (Analytic-DPM).
/// </summary>
public interface ITrainingData
{
    /// <summary>
    /// <paramref name="count"/> clean samples x_0 [count, ...shape] in <paramref name="dtype"/> on <paramref name="device"/>,
    /// chosen by <paramref name="seed"/>, with their labels (int64 [count]) for conditional models, else null.
    /// </summary>
    (torch.Tensor Samples, torch.Tensor? Labels) Draw(int count, long seed, torch.Device device, torch.ScalarType dtype);
}
