using Pipeline.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Sampling;

/// <summary>
/// Evaluates a batch whose samples sit at different times with a model that takes one time per call: the samples are
/// grouped by time, each group is evaluated with its own rows of the conditions, and the outputs are put back in the
/// batch's order. Exact (each sample sees the model at its own time); the cost is one call per distinct time.
/// </summary>
public static class PerSampleTimes
{
    public static ModelOutput Predict(Tensor x, IReadOnlyList<double> times, Conditioning conditioning,
        Func<Tensor, double, Conditioning, ModelOutput> predict)
    {
        if (times.Count != x.shape[0])
            throw new ArgumentException($"{times.Count} times for a batch of {x.shape[0]}", nameof(times));
        var groups = Enumerable.Range(0, times.Count).GroupBy(b => times[b]).ToList();
        if (groups.Count == 1) return predict(x, times[0], conditioning);

        using var scope = NewDisposeScope();
        Tensor? eps = null, data = null, features = null;
        bool withFeatures = true;
        foreach (var group in groups)
        {
            var index = tensor(group.Select(b => (long)b).ToArray(), int64, x.device);
            var rows = conditioning.Rows(index);
            var part = predict(x.index_select(0, index), group.Key, rows);
            eps ??= zeros_like(x, part.Epsilon.dtype);
            data ??= zeros_like(x, part.Data.dtype);
            eps.index_copy_(0, index, part.Epsilon);
            data.index_copy_(0, index, part.Data);
            withFeatures &= part.Features is not null;
            if (part.Features is Tensor f && withFeatures)
            {
                features ??= zeros(x.shape[0], f.shape[1], f.dtype, f.device);
                features.index_copy_(0, index, f);
            }
        }
        return new(scope.MoveToOuter(eps!), scope.MoveToOuter(data!)) { Features = withFeatures ? scope.MoveToOuter(features!) : null };
    }
}
