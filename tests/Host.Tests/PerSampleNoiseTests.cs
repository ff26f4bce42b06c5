using Pipeline.Host.Runtime;
using TorchSharp;

namespace Pipeline.Tests;

public class PerSampleNoiseTests
{
    [Fact]
    public void ASampleStreamDependsOnItsSeedOnly()
    {
        long[] seeds = [PerSampleNoise.SeedOf(9, 0), PerSampleNoise.SeedOf(9, 1), PerSampleNoise.SeedOf(9, 2)];
        using var all = new PerSampleNoise(seeds, torch.CPU, torch.ScalarType.Float32);
        using var last = new PerSampleNoise(seeds[2..], torch.CPU, torch.ScalarType.Float32);
        for (int draw = 0; draw < 3; draw++)
        {
            using var a = all.Normal([4]);
            using var b = last.Normal([4]);
            Assert.True(a[2].eq(b[0]).all().item<bool>(), $"draw {draw}");
            Assert.False(a[0].eq(a[1]).all().item<bool>());
        }
    }

    [Fact]
    public void DerivedSeedsDiffer()
    {
        var seeds = Enumerable.Range(0, 1000).Select(i => PerSampleNoise.SeedOf(1, i)).ToHashSet();
        Assert.Equal(1000, seeds.Count);
        Assert.NotEqual(PerSampleNoise.SeedOf(1, 0), PerSampleNoise.SeedOf(2, 0));
    }
}
