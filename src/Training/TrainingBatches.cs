using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>
/// The batches every trainer takes: epoch e visits the examples in an order drawn from (seed, e), step n takes the
/// (n mod steps-per-epoch)-th batch of its epoch and seeds torch's global generators from (seed, n) before returning it,
/// so a resumed run draws the same batches and the same noise as an uninterrupted one.
/// </summary>
public sealed class TrainingBatches(Tensor images, Tensor labels, int batchSize, long seed) : IDisposable
{
    Tensor? order;
    long orderEpoch = -1;

    /// <summary>Examples per batch (the batch size, or all examples when there are fewer).</summary>
    public int Batch { get; } = (int)Math.Min(batchSize, images.shape[0]);

    /// <summary>Training examples.</summary>
    public long Count => images.shape[0];

    long PerEpoch => Math.Max(1, Count / Batch);

    /// <summary>Step <paramref name="step"/>'s images and labels (in the caller's dispose scope), after seeding the step's draws.</summary>
    public (Tensor Images, Tensor Labels) Take(int step)
    {
        long epoch = step / PerEpoch;
        if (epoch != orderEpoch)
        {
            order?.Dispose();
            using var shuffle = new Generator((ulong)StepSeeds.Of(seed, StepSeeds.Epoch, epoch), CPU);
            using var permutation = randperm(Count, generator: shuffle);
            order = permutation.to(images.device).DetachFromDisposeScope();
            orderEpoch = epoch;
        }
        long stepSeed = StepSeeds.Of(seed, StepSeeds.Step, step);
        random.manual_seed(stepSeed);
        if (images.device_type == DeviceType.CUDA) cuda.manual_seed(stepSeed);
        var index = order!.narrow(0, step % PerEpoch * Batch, Batch);
        return (images.index_select(0, index), labels.index_select(0, index));
    }

    public void Dispose() => order?.Dispose();
}
