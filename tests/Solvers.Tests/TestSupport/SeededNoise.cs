using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.TestSupport;

/// <summary>
/// Deterministic noise: sample b draws from its own CPU generator seeded with seed + b, so its stream depends on
/// its index and the seed only; values are drawn in float64 and then cast and moved like the request.
/// </summary>
public sealed class SeededNoise(long seed) : INoiseSource, IDisposable
{
    readonly List<Generator> generators = [];

    public int Draws { get; private set; }

    public Tensor NormalLike(Tensor like)
    {
        long batch = like.shape[0];
        while (generators.Count < batch) generators.Add(new Generator((ulong)(seed + generators.Count)));
        long[] one = [1, .. like.shape[1..]];
        using var scope = NewDisposeScope();
        var rows = new Tensor[batch];
        for (int b = 0; b < batch; b++) rows[b] = randn(one, float64, generator: generators[b]);
        Draws++;
        return scope.MoveToOuter(cat(rows, 0).to(like.dtype, like.device));
    }

    public void Dispose()
    {
        foreach (var g in generators) g.Dispose();
    }
}

/// <summary>
/// Faster deterministic noise for the large statistical batches: one generator for the whole batch
/// (a sample's noise then depends on the batch size, which those tests never vary).
/// </summary>
public sealed class BatchNoise(long seed) : INoiseSource, IDisposable
{
    readonly Generator generator = new((ulong)seed);

    public Tensor NormalLike(Tensor like)
    {
        using var z = randn(like.shape, float64, generator: generator);
        return z.to(like.dtype, like.device);
    }

    public void Dispose() => generator.Dispose();
}
