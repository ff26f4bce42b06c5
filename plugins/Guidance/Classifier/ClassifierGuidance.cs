using Pipeline.Guidance;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;

namespace Pipeline.Plugins.Guidance.Classifier;

[Plugin(PluginKinds.Guidance, ClassifierGuidance.Name, Aliases = "classifier-guidance",
    Summary = "Classifier guidance (Dhariwal and Nichol 2021): eps - s sigma grad log p(y | x_t), gradient by autograd of a model-provided classifier")]
public sealed class ClassifierGuidanceExport : PluginExport<ClassifierGuidance, ClassifierGuidanceOptions>;

/// <summary>
/// Classifier guidance with a noisy classifier that the pipeline's model offers (<see cref="INoisyClassifierSource"/>),
/// named in the options. Each sample is guided towards its own label; samples with the null label -1 are not guided.
/// </summary>
public sealed class ClassifierGuidance(ClassifierGuidanceOptions options) : IGuidance
{
    public const string Name = "classifier";

    public bool UsesLabels => true;

    public IEnumerable<string> Check(IConditionalDenoiser inner)
    {
        var model = inner.Model;
        if (model is not INoisyClassifierSource source)
        {
            yield return $"the model ({model.GetType().Name}) offers no noisy classifiers; classifier guidance needs a model that does (gmm offers \"gmm-posterior\")";
            yield break;
        }
        var classifier = source.Classifier(options.Classifier);
        if (classifier is null)
        {
            string names = source.ClassifierNames.Count == 0 ? "none" : string.Join(", ", source.ClassifierNames.Select(n => $"\"{n}\""));
            yield return $"the model offers no classifier \"{options.Classifier}\" (it offers {names})";
            yield break;
        }
        if (model.Classes is not int classes)
            yield return "the run needs a label per sample to guide towards, and labels are accepted only by a model that takes them; " +
                         "use the model's conditional form (gmm: \"conditional\": true; it is still evaluated unconditionally unless conditionModel is true)";
        else if (classes != classifier.Classes)
            yield return $"the model takes {classes} classes but classifier \"{options.Classifier}\" has {classifier.Classes}; one label must mean the same class to both";
        foreach (var problem in GuidanceOrder.ThresholdingFirst(inner, Name)) yield return problem;
    }

    public IConditionalDenoiser Wrap(IConditionalDenoiser inner)
    {
        var classifier = (inner.Model as INoisyClassifierSource)?.Classifier(options.Classifier)
            ?? throw new PipelineInputException($"the model offers no classifier \"{options.Classifier}\"", "$.guidance");
        return new ClassifierGuidedDenoiser(inner, classifier, options);
    }
}
