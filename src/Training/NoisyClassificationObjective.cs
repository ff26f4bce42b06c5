using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>
/// Cross-entropy of a time-conditioned classifier p(label | x_t, t) on noisy images: a uniform training
/// step i and x_t = alpha_i x_0 + sigma_i eps as in <see cref="DenoisingObjective"/>, the classifier that
/// classifier guidance differentiates (Dhariwal and Nichol 2021, sec. 4). Clean images are augmented first.
/// </summary>
public sealed class NoisyClassificationObjective : ITrainingObjective, IDisposable
{
    readonly StepTable table;
    readonly int shift;
    readonly double rotation;

    public NoisyClassificationObjective(INoiseSchedule schedule, int shift, double rotation, Device device)
    {
        table = new StepTable(schedule, device);
        this.shift = shift;
        this.rotation = rotation;
    }

    public Tensor Loss(nn.Module network, Tensor images, Tensor labels)
    {
        var classifier = network as nn.Module<Tensor, Tensor, Tensor>
            ?? throw new InvalidOperationException($"{network.GetType().Name} is not a time-conditioned classifier: it has no forward(x, step)");
        using var scope = NewDisposeScope();
        var (steps, noisy, _) = table.Noise(Augmentation.Apply(images, shift, rotation));
        var logits = classifier.forward(noisy, steps);
        return scope.MoveToOuter(nn.functional.cross_entropy(logits, labels));
    }

    public StepTable Table => table;

    public void Dispose() => table.Dispose();
}
