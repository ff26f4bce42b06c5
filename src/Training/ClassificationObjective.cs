using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>Cross-entropy of a classifier of clean images, on randomly shifted and rotated copies (<see cref="Augmentation"/>).</summary>
public sealed class ClassificationObjective(int shift, double rotation) : ITrainingObjective
{
    public Tensor Loss(nn.Module network, Tensor images, Tensor labels)
    {
        var classifier = network as nn.Module<Tensor, Tensor>
            ?? throw new InvalidOperationException($"{network.GetType().Name} is not a classifier: it has no forward(x)");
        using var scope = NewDisposeScope();
        var logits = classifier.forward(Augmentation.Apply(images, shift, rotation));
        return scope.MoveToOuter(nn.functional.cross_entropy(logits, labels));
    }
}
