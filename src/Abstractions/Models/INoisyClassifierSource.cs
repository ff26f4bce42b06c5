namespace Pipeline.Models;

/// <summary>
/// Implemented by a model (<see cref="IDiffusionModel"/>) that brings classifiers of its own noisy samples:
/// the analytic mixture's exact component posterior, a noisy classifier trained beside a network. Classifier
/// guidance names one in its options and finds it on the pipeline's model.
/// </summary>
public interface INoisyClassifierSource
{
    /// <summary>Names this model offers (matched without regard to case).</summary>
    IReadOnlyList<string> ClassifierNames { get; }

    /// <summary>The classifier called <paramref name="name"/>, or null when this model offers none by that name.</summary>
    INoisyClassifier? Classifier(string name);
}
