using Pipeline.Guidance;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;

namespace Pipeline.Plugins.Guidance.ClassifierFree;

[Plugin(PluginKinds.Guidance, ClassifierFreeGuidance.Name, Aliases = "classifier-free, classifier-free-guidance",
    Summary = "Classifier-free guidance (Ho and Salimans 2022): eps_u + s (eps_c - eps_u), both branches in one batch; interval and rescale")]
public sealed class ClassifierFreeGuidanceExport : PluginExport<ClassifierFreeGuidance, ClassifierFreeGuidanceOptions>;

/// <summary>
/// Classifier-free guidance. Needs a model that takes class labels and the null label -1; each sample is guided
/// towards its own label from the sampling section.
/// </summary>
public sealed class ClassifierFreeGuidance(ClassifierFreeGuidanceOptions options) : IGuidance
{
    public const string Name = "cfg";

    public bool UsesLabels => true;

    public IEnumerable<string> Check(IConditionalDenoiser inner)
    {
        if (inner.Model.Classes is null)
            yield return "the model is unconditional; classifier-free guidance needs a model that takes class labels and the null label -1 " +
                         "(gmm: set \"conditional\": true; torchscript: set \"classes\")";
        if (GuidedDenoiser.Chain(inner).Any(g => g is ClassifierFreeDenoiser))
            yield return "cfg is listed twice; the outer one would extrapolate from the inner one's guided branch (scales multiply at four times the batch): " +
                         "use one cfg with the product of the scales";
        foreach (var problem in GuidanceOrder.ThresholdingFirst(inner, Name)) yield return problem;
    }

    public IConditionalDenoiser Wrap(IConditionalDenoiser inner) =>
        new ClassifierFreeDenoiser(inner, options, new GuidanceInterval(options.IntervalUnit, options.Start, options.End, inner.Schedule));
}
