namespace Pipeline.Host.Training;

/// <summary>
/// Seeds derived from (run seed, purpose, index) with SplitMix64 (Steele et al. 2014), so step n's random draws
/// and epoch e's data order are the same whether or not the run was interrupted and resumed.
/// </summary>
public static class StepSeeds
{
    public const ulong Initialisation = 0x1, Step = 0x2, Epoch = 0x3, Evaluation = 0x4;

    public static long Of(long seed, ulong purpose, long index)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + purpose * 0xD1B54A32D192ED03UL + (ulong)index * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (long)(z >> 1); // non-negative: libtorch seeds are taken as unsigned
    }
}
