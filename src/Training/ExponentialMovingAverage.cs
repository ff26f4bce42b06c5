using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>
/// An exponential moving average of a network's weights, kept in a second instance of the network
/// (DDPM samples from such an average, Ho et al. 2020, Appendix B). The decay ramps up as
/// min(decay, (1 + n) / (10 + n)) after n updates, so a short run is not dominated by the initial weights.
/// </summary>
public sealed class ExponentialMovingAverage(nn.Module source, nn.Module average, double decay)
{
    readonly (Tensor Average, Tensor Source)[] parameters = average.parameters().Zip(source.parameters(), (a, s) => ((Tensor)a, (Tensor)s)).ToArray();
    readonly (Tensor Average, Tensor Source)[] buffers = average.buffers().Zip(source.buffers()).ToArray();

    public nn.Module Average => average;

    public double Decay => decay;

    public double DecayAt(long updates) => Math.Min(decay, (1.0 + updates) / (10.0 + updates));

    /// <summary>Makes the average equal to the source (at the start of a run).</summary>
    public void Reset()
    {
        using var _ = no_grad();
        foreach (var (a, s) in parameters.Concat(buffers)) a.copy_(s);
    }

    /// <summary>average = d average + (1 - d) source, in place, after <paramref name="updates"/> earlier updates.</summary>
    public void Update(long updates) => Update(DecayAt(updates));

    /// <summary>average = d average + (1 - d) source with the given d (consistency distillation's fixed target decay mu).</summary>
    public void Update(double d)
    {
        using var _ = no_grad();
        using var keep = d.ToScalar();
        using var take = (1.0 - d).ToScalar();
        foreach (var (a, s) in parameters) a.mul_(keep).add_(s, take);
        foreach (var (a, s) in buffers) a.copy_(s);
    }
}
