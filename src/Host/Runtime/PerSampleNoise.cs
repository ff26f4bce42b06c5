using Pipeline.Sampling;
using TorchSharp;

namespace Pipeline.Host.Runtime;

/// <summary>
/// Noise streams, one per sample: sample i draws from a CPU generator seeded with its own seed, first its
/// initial x_T and then the noise of each stochastic step. A sample's values therefore depend on its seed
/// alone, not on the batch it runs in or the device (draws are made on the CPU, then moved).
/// </summary>
public sealed class PerSampleNoise : INoiseSource, IDisposable
{
    readonly torch.Generator[] generators;
    readonly torch.Device device;
    readonly torch.ScalarType dtype;

    public PerSampleNoise(IReadOnlyList<long> seeds, torch.Device device, torch.ScalarType dtype)
    {
        generators = seeds.Select(s => new torch.Generator(unchecked((ulong)s))).ToArray();
        this.device = device;
        this.dtype = dtype;
    }

    /// <summary>Seed of sample <paramref name="index"/> under base seed <paramref name="seed"/> (SplitMix64 of both).</summary>
    public static long SeedOf(long seed, long index)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>One draw of z ~ N(0, I) per sample, times <paramref name="scale"/> (the prior's spread for an x_T).</summary>
    public torch.Tensor Normal(long[] sampleShape, double scale = 1.0)
    {
        using var scope = torch.NewDisposeScope();
        // Drawn and scaled in float64 so float32 and float64 runs see the same numbers up to rounding.
        var rows = generators.Select(g => torch.randn(sampleShape, torch.ScalarType.Float64, generator: g)).ToArray();
        var batch = torch.stack(rows);
        if (scale != 1.0)
        {
            using var s = scale.ToScalar();
            batch.mul_(s);
        }
        return scope.MoveToOuter(batch.to(dtype).to(device));
    }

    public torch.Tensor NormalLike(torch.Tensor like) => Normal(like.shape[1..]);

    public void Dispose()
    {
        foreach (var g in generators) g.Dispose();
    }
}
