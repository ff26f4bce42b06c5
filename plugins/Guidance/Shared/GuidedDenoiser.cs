using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Guidance.Shared;

/// <summary>
/// Base of this plugin's decorators: the denoiser it wraps, and the plugin name it was listed under, so a
/// later guidance can see what an earlier one did (see <see cref="GuidanceOrder"/>).
/// </summary>
internal abstract class GuidedDenoiser(IConditionalDenoiser inner, string name) : IConditionalDenoiser
{
    public IConditionalDenoiser Inner => inner;

    /// <summary>The plugin's canonical name, for messages.</summary>
    public string Name => name;

    public INoiseSchedule Schedule => inner.Schedule;

    public IDiffusionModel Model => inner.Model;

    public abstract ModelOutput Predict(torch.Tensor x, double t, Conditioning conditioning);

    /// <summary>
    /// The guided output, moved out of <paramref name="scope"/>, carrying the model's features of the evaluation it was
    /// made from (guidance changes eps and x_0, not what the network saw).
    /// </summary>
    protected static ModelOutput Moved(DisposeScope scope, torch.Tensor eps, torch.Tensor data, torch.Tensor? features) =>
        new(scope.MoveToOuter(eps), scope.MoveToOuter(data)) { Features = features is null ? null : scope.MoveToOuter(features) };

    /// <summary>The guidance steps inside <paramref name="denoiser"/> that this plugin made, innermost last.</summary>
    public static IEnumerable<GuidedDenoiser> Chain(IConditionalDenoiser denoiser)
    {
        for (var d = denoiser; d is GuidedDenoiser g; d = g.Inner) yield return g;
    }
}
