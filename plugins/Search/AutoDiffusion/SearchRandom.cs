namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): a tiny generator whose whole state is one integer, so every generation of
/// the search draws from a stream derived from (seed, generation) alone and a resumed search repeats its choices
/// without storing generator state. System.Random's sequence is not specified across .NET versions; this one is.
/// </summary>
public sealed class SearchRandom
{
    const ulong Golden = 0x9E3779B97F4A7C15UL;
    ulong state;

    public SearchRandom(long seed, long stream)
    {
        // Two mixing rounds keep neighbouring (seed, stream) pairs from giving overlapping sequences.
        state = Mix((ulong)seed * Golden + 1);
        state = Mix(state ^ ((ulong)stream + 1) * 0xD1B54A32D192ED03UL);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64() => Mix(state += Golden);

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, count).</summary>
    public int Next(int count) => (int)(NextDouble() * count);

    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>Standard normal by the Box-Muller transform.</summary>
    public double Normal()
    {
        double u = 1.0 - NextDouble(), v = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }
}
