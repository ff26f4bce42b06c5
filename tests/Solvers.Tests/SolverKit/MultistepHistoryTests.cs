using Pipeline.SolverKit;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Kit;

/// <summary>The one multistep history of the kit: newest first, owns what it holds, times where they were given.</summary>
public class MultistepHistoryTests
{
    static TimePoint At(double t) => new(t, 0, 1, t, -Math.Log(t));

    static Tensor Filled(double value)
    {
        using Scalar v = value;
        return full([3], v, ScalarType.Float64);
    }

    [Fact]
    public void EntriesAreNewestFirstAndTheOldestBeyondTheCapacityIsDisposed()
    {
        Tensor first, second, third;
        using (var history = new MultistepHistory(2))
        {
            using (NewDisposeScope())
            {
                // Pushed inside a step's scope, the tensors outlive it: the history detached them.
                history.Push(At(0.9), first = Filled(1.0));
                history.Push(At(0.5), second = Filled(2.0));
            }
            Assert.False(first.IsInvalid);
            Assert.Equal(2, history.Count);
            Assert.Same(second, history[0]);
            Assert.Equal(0.9, history.Time(1).T);

            history.Push(At(0.2), third = Filled(4.0));
            Assert.True(first.IsInvalid, "the entry beyond the capacity must be disposed");
            Assert.Equal([third, second], history.Newest(2));
            Assert.Equal(0.2, history.Time(0).T);

            // 0.5 x + 2 * 4 - 1 * 2 with x = 2: 1 + 8 - 2 = 7.
            using var x = Filled(2.0);
            using var combined = history.Combine(0.5, x, [2.0, -1.0]);
            Assert.Equal(7.0, combined[0].item<double>());
            Assert.Throws<ArgumentException>(() => history.Combine(1, x, [1.0, 1.0, 1.0]));
        }
        Assert.True(second.IsInvalid && third.IsInvalid, "disposing the history disposes what it holds");
    }

    [Fact]
    public void AnEntryPushedWithoutATimeRefusesToGiveOne()
    {
        using var history = new MultistepHistory(3);
        history.Push(Filled(0));
        history.Push(At(0.4), Filled(1));
        Assert.Equal(0.4, history.Time(0).T);
        var e = Assert.Throws<InvalidOperationException>(() => history.Time(1));
        Assert.Contains("without a time", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultistepHistory(0));
    }
}
