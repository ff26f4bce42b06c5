using Pipeline.Models;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Guidance.ClassifierFree;

/// <summary>
/// eps = eps_u + s (eps_c - eps_u) (Ho and Salimans 2022, eq. (6) with s = 1 + w), with the conditional and the
/// unconditional branch evaluated as one batch [x; x] with labels [y; -1]. The combination is affine with weights
/// summing to 1, so applying it to eps and to x_0 gives a consistent pair (x_0 = (x - sigma eps) / alpha) without
/// converting; only guidance rescale, which is not affine, acts in one space and converts the other.
/// </summary>
internal sealed class ClassifierFreeDenoiser(IConditionalDenoiser inner, ClassifierFreeGuidanceOptions options, GuidanceInterval interval)
    : GuidedDenoiser(inner, ClassifierFreeGuidance.Name)
{
    public override ModelOutput Predict(Tensor x, double t, Conditioning conditioning)
    {
        var labels = GuidanceLabels.Require(conditioning, Name);
        double scale = interval.Contains(t) ? options.Scale : 1.0;
        // s = 1 is the conditional model alone (with or without rescale: std(x_cfg) = std(x_pos)); outside the interval too.
        if (scale == 1.0) return Inner.Predict(x, t, conditioning);

        using var scope = NewDisposeScope();
        if (scale == 0.0 && options.Rescale == 0.0)
        {
            var unconditional = Inner.Predict(x, t, conditioning.WithLabels(Fused.NullLabelsLike(labels)));
            return Moved(scope, unconditional, unconditional.Features);
        }

        long batch = x.shape[0];
        var both = Inner.Predict(cat([x, x], 0), t, conditioning.WithLabels(cat([labels, Fused.NullLabelsLike(labels)], 0)));
        var (epsC, epsU) = (both.Epsilon.narrow(0, 0, batch), both.Epsilon.narrow(0, batch, batch));
        var (dataC, dataU) = (both.Data.narrow(0, 0, batch), both.Data.narrow(0, batch, batch));
        // The conditional branch's features: the network's view of x under the label the sample is guided to.
        var features = both.Features?.narrow(0, 0, batch);

        if (options.Rescale == 0.0)
            return Moved(scope, epsU.Lerp(epsC, scale), dataU.Lerp(dataC, scale), features);

        double alpha = Schedule.Alpha(t), sigma = Schedule.Sigma(t);
        if (options.Space == GuidanceSpace.Epsilon)
        {
            var eps = GuidanceRescale.Apply(epsU.Lerp(epsC, scale), epsC, options.Rescale);
            return Moved(scope, eps, PredictionConversion.DataFromEpsilon(x, eps, alpha, sigma), features);
        }
        var data = GuidanceRescale.Apply(dataU.Lerp(dataC, scale), dataC, options.Rescale);
        return Moved(scope, PredictionConversion.EpsilonFromData(x, data, alpha, sigma), data, features);
    }

    static ModelOutput Moved(DisposeScope scope, ModelOutput output, Tensor? features) =>
        Moved(scope, output.Epsilon, output.Data, features);
}
