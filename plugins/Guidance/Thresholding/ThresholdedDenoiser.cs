using Pipeline.Models;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Guidance.Thresholding;

/// <summary>
/// Replaces x_0 by a bounded version of it and recomputes eps = (x - alpha x_0) / sigma, so every solver, whether
/// it reads x_0 or eps, continues from the same thresholded prediction.
/// </summary>
internal sealed class ThresholdedDenoiser(IConditionalDenoiser inner, string name, Func<Tensor, Tensor> bound)
    : GuidedDenoiser(inner, name)
{
    public override ModelOutput Predict(Tensor x, double t, Conditioning conditioning)
    {
        using var scope = NewDisposeScope();
        var output = Inner.Predict(x, t, conditioning);
        var data = bound(output.Data);
        var eps = PredictionConversion.EpsilonFromData(x, data, Schedule.Alpha(t), Schedule.Sigma(t));
        return Moved(scope, eps, data, output.Features);
    }
}
