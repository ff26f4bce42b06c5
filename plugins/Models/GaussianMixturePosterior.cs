using Pipeline.Models;
using TorchSharp;

namespace Pipeline.Plugins.Models;

/// <summary>
/// The mixture's exact noisy classifier, log p(k | x_t) = log w_k N(x; alpha mu_k, alpha^2 s_k^2 + sigma^2) - log p_t(x),
/// offered by the gmm model as "gmm-posterior". Its gradient is -(eps_k - eps) / sigma, so classifier guidance with
/// it at scale s equals classifier-free guidance with the conditional mixture at scale s.
/// </summary>
public sealed class GaussianMixturePosterior(GaussianMixture mixture) : INoisyClassifier
{
    public const string Name = "gmm-posterior";

    public int Classes => mixture.Components;

    /// <summary>The posterior reads alpha and sigma from <see cref="ModelTime"/>, never the input value.</summary>
    public TimeInput TimeInput => TimeInput.Continuous;

    public torch.Tensor LogProbabilities(torch.Tensor x, ModelTime time) =>
        mixture.LogResponsibilities(x, time.Alpha, time.Sigma);
}
