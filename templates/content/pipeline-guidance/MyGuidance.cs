using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Guidance;
using Pipeline.Models;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace MyGuidance;

// In a definition: "guidance": [{ "type": "myguidance", "strength": 0.1 }], applied in list order.
[Plugin(PluginKinds.Guidance, "myguidance", Summary = "Shrinks the predicted x_0 towards 0 by a factor (1 - strength)")]
public sealed class MyGuidanceExport : PluginExport<MyGuidance, MyGuidanceOptions>;

public sealed class MyGuidanceOptions
{
    [Description("Share by which x_0 is pulled towards 0 at every evaluation"), Range(0.0, 1.0)]
    public double Strength { get; set; } = 0.1;
}

/// <summary>A guidance step decorates the model: every solver then sees the changed prediction.</summary>
public sealed class MyGuidance(MyGuidanceOptions options) : IGuidance
{
    public IConditionalDenoiser Wrap(IConditionalDenoiser inner) => new Shrunk(inner, 1 - options.Strength);

    /// <summary>x_0' = c x_0, and eps' = (x - alpha x_0') / sigma so that the pair stays consistent with x.</summary>
    sealed class Shrunk(IConditionalDenoiser inner, double factor) : IConditionalDenoiser
    {
        public INoiseSchedule Schedule => inner.Schedule;
        public IDiffusionModel Model => inner.Model;

        public ModelOutput Predict(Tensor x, double t, Conditioning conditioning)
        {
            // The inner prediction's tensors are freed with this scope; only the results leave it.
            using var scope = NewDisposeScope();
            var output = inner.Predict(x, t, conditioning);
            using var c = factor.ToScalar();
            var data = output.Data.mul(c);
            var eps = PredictionConversion.EpsilonFromData(x, data, Schedule.Alpha(t), Schedule.Sigma(t));
            return new ModelOutput(scope.MoveToOuter(eps), scope.MoveToOuter(data))
            {
                Features = output.Features is { } features ? scope.MoveToOuter(features) : null,
            };
        }
    }
}
