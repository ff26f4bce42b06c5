using Pipeline.Models;
using Pipeline.Options;
using TorchSharp;

namespace Pipeline.Plugins.Models;

[Plugin(PluginKinds.Model, "gmm", Aliases = "gaussian-mixture",
    Summary = "Analytic Gaussian mixture: exact eps at every time (the accuracy oracle)")]
public sealed class GaussianMixtureModelExport : PluginExport<GaussianMixtureModel, GaussianMixtureOptions>;

/// <summary>
/// The mixture as a diffusion model: predicts the exact eps from the schedule's alpha and sigma
/// (<see cref="ModelTime.Alpha"/>, <see cref="ModelTime.Sigma"/>), so it fits any noise schedule. It offers its exact
/// component posterior as the noisy classifier "gmm-posterior" for classifier guidance.
/// </summary>
public sealed class GaussianMixtureModel : IDiffusionModel, INoisyClassifierSource, ITrainingData, IDisposable
{
    public GaussianMixtureModel(GaussianMixtureOptions options)
    {
        var problem = MixtureValidation.Problems(options.Weights, options.Means, options.Stds, options.SampleShape).FirstOrDefault();
        if (problem.Message is not null)
            throw new PipelineInputException(problem.Message, "$.model." + OptionsConventions.JsonName(problem.Member));
        Mixture = new GaussianMixture(options.Weights, options.Means, options.Stds, options.SampleShape);
        Classes = options.Conditional ? Mixture.Components : null;
        Posterior = new GaussianMixturePosterior(Mixture);
    }

    public GaussianMixturePosterior Posterior { get; }

    public IReadOnlyList<string> ClassifierNames { get; } = [GaussianMixturePosterior.Name];

    public INoisyClassifier? Classifier(string name) =>
        string.Equals(name, GaussianMixturePosterior.Name, StringComparison.OrdinalIgnoreCase) ? Posterior : null;

    public GaussianMixture Mixture { get; }

    public PredictionType Prediction => PredictionType.Epsilon;

    /// <summary>Continuous: the model reads alpha and sigma, never the network input value.</summary>
    public TimeInput TimeInput => TimeInput.Continuous;

    public long[]? SampleShape => Mixture.SampleShape;

    public int? Classes { get; }

    public torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels)
    {
        if (x.dim() < 1 || x.numel() != x.shape[0] * Mixture.Dimension)
            throw new PipelineInputException(
                $"the gmm model has {Mixture.Dimension} values per sample but was given samples of shape [{string.Join(", ", x.shape.Skip(1))}]; " +
                "make the pipeline's sample shape match the mixture's dimension", "$.model.sampleShape");
        return Mixture.Epsilon(x, time.Alpha, time.Sigma, Classes is null ? null : labels);
    }

    /// <summary>
    /// Exact draws from the mixture (seeded on the CPU, so they do not depend on the device). Labels are the drawn
    /// components when the model is conditional (a label selects its component), else null.
    /// </summary>
    public (torch.Tensor Samples, torch.Tensor? Labels) Draw(int count, long seed, torch.Device device, torch.ScalarType dtype)
    {
        using var generator = new torch.Generator(unchecked((ulong)seed));
        var (samples, components) = Mixture.Sample(count, generator);
        using (samples)
        using (components)
            return (samples.to(dtype, device), Classes is null ? null : components.to(device));
    }

    public void Dispose() => Mixture.Dispose();
}
