using Pipeline.Models;
using Pipeline.Plugins.Guidance.Shared;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Guidance.Classifier;

/// <summary>
/// eps_guided = eps - s sigma_t grad_x log p(y | x_t), the DPM-Solver authors' model_wrapper ("classifier"), which is
/// -sigma_t times the score of p_t(x) p_t(y | x)^s since eps = -sigma_t grad log p_t. The gradient comes from one
/// forward and one backward pass of the classifier through autograd on a detached copy of x; the graph is freed by
/// the backward pass and every temporary by this call's dispose scope. x_0 moves by + s sigma_t^2 / alpha_t grad,
/// which keeps x = alpha x_0 + sigma eps.
/// </summary>
internal sealed class ClassifierGuidedDenoiser(IConditionalDenoiser inner, INoisyClassifier classifier, ClassifierGuidanceOptions options)
    : GuidedDenoiser(inner, ClassifierGuidance.Name)
{
    public INoisyClassifier Classifier => classifier;

    public override ModelOutput Predict(Tensor x, double t, Conditioning conditioning)
    {
        var labels = GuidanceLabels.Require(conditioning, Name);
        using var scope = NewDisposeScope();
        var forModel = options.ConditionModel ? conditioning : conditioning.WithLabels(Fused.NullLabelsLike(labels));
        var output = Inner.Predict(x, t, forModel);
        if (options.Scale == 0.0) return Moved(scope, output.Epsilon, output.Data, output.Features);

        double alpha = Schedule.Alpha(t), sigma = Schedule.Sigma(t);
        var time = new ModelTime(t, alpha, sigma, TimeInputs.Convert(classifier.TimeInput, Schedule, t));
        var grad = LogLikelihoodGradient(x, labels, time);
        var eps = output.Epsilon.AddScaled(-options.Scale * sigma, grad);
        var data = output.Data.AddScaled(options.Scale * sigma * sigma / alpha, grad);
        return Moved(scope, eps, data, output.Features);
    }

    /// <summary>grad_x log p(y_b | x_b, t) per sample (0 for the null label), in x's type.</summary>
    Tensor LogLikelihoodGradient(Tensor x, Tensor labels, ModelTime time)
    {
        // Sampling may run under no_grad (an embedding host's choice); the gradient needs autograd regardless.
        using var gradients = enable_grad();
        var input = x.detach().requires_grad_(true);
        var logProbabilities = classifier.LogProbabilities(input, time);
        using Scalar zero = 0L;
        var known = labels.ge(zero);
        var selected = logProbabilities.gather(1, labels.clamp_min(zero).unsqueeze(1)).squeeze(1);
        // Samples are independent, so the gradient of the sum is each sample's own gradient.
        var objective = where(known, selected, zeros_like(selected)).sum();
        return autograd.grad([objective], [input])[0];
    }
}
