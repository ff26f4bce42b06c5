using TorchSharp;

namespace Pipeline.Metrics;

/// <summary>Scores a set of samples. Lower is better unless the name says otherwise.</summary>
public interface IMetric
{
    /// <summary>Named scores of <paramref name="samples"/> [N, ...]; <paramref name="initial"/> holds the x_T they came from.</summary>
    IReadOnlyDictionary<string, double> Score(torch.Tensor samples, torch.Tensor initial, Sampling.IConditionalDenoiser model);
}
