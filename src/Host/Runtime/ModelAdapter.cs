using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Host.Runtime;

/// <summary>
/// The model as solvers and guidance see it: evaluated at continuous time t with the schedule's alpha and
/// sigma, its time presented in the model's own convention, its prediction turned into both eps and x_0 (with the
/// model's features when it offers them, <see cref="IFeatureModel"/>).
/// </summary>
public sealed class ModelAdapter(IDiffusionModel model, INoiseSchedule schedule) : IConditionalDenoiser
{
    public INoiseSchedule Schedule => schedule;
    public IDiffusionModel Model => model;

    public ModelOutput Predict(torch.Tensor x, double t, Conditioning conditioning)
    {
        if (!(t > 0))
            throw new InvalidOperationException($"the model cannot be evaluated at t = {t} (clean data); a solver stepped wrongly");
        double alpha = schedule.Alpha(t), sigma = schedule.Sigma(t);
        // A schedule may present the model another time (diffusers' rounded timesteps); the prediction is still
        // converted with the solver's alpha and sigma.
        double tm = schedule is IModelTimeConvention convention ? convention.ModelTime(t) : t;
        var time = tm == t
            ? new ModelTime(t, alpha, sigma, TimeInputs.Convert(model.TimeInput, schedule, t))
            : new ModelTime(tm, schedule.Alpha(tm), schedule.Sigma(tm), TimeInputs.Convert(model.TimeInput, schedule, tm));
        if (conditioning.Latent is { } latent)
        {
            var generator = model as ILatentModel
                ?? throw new InvalidOperationException($"a latent code was passed to {model.GetType().Name}, which takes none");
            return PredictionConversion.ToOutput(model.Prediction, x, generator.Forward(x, time, conditioning.Labels, latent), alpha, sigma);
        }
        if (model is ILatentModel)
            throw new InvalidOperationException($"{model.GetType().Name} needs a latent code for every evaluation; the solver passed none");
        if (model is IFeatureModel withFeatures)
        {
            var (output, features) = withFeatures.ForwardWithFeatures(x, time, conditioning.Labels);
            return PredictionConversion.ToOutput(model.Prediction, x, output, alpha, sigma) with { Features = features };
        }
        var raw = model.Forward(x, time, conditioning.Labels);
        return PredictionConversion.ToOutput(model.Prediction, x, raw, alpha, sigma);
    }
}
