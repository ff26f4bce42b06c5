using TorchSharp;

namespace Pipeline.Host.Training;

/// <summary>The loss one training step minimises on a batch (random draws use torch's default generators).</summary>
public interface ITrainingObjective
{
    /// <summary>Scalar loss of <paramref name="network"/> on images [B, ...] (in [-1, 1]) with labels [B] int64.</summary>
    torch.Tensor Loss(torch.nn.Module network, torch.Tensor images, torch.Tensor labels);
}
