using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Plugins.Search.Gits;

/// <summary>
/// The model as the jumps from one grid point see it: every one-step solver's step from (x_i, t_i) begins by evaluating
/// the model there, and all M - i jumps from point i start at the same x_i, so that evaluation is made once
/// (<see cref="Start"/>) and handed out again as copies; every other call goes to the model. The costs are the same
/// numbers as without it (the model is deterministic), for M instead of M(M+1)/2 evaluations with DDIM.
/// </summary>
internal sealed class StartEvaluation(IDenoiser inner) : IDenoiser
{
    torch.Tensor? x;
    double t;
    ModelOutput output;

    public INoiseSchedule Schedule => inner.Schedule;

    public int? LatentSize => inner.LatentSize;

    /// <summary>Evaluates the model at (x, t); its tensors belong to the caller's dispose scope, which must outlive the jumps.</summary>
    public void Start(torch.Tensor x, double t)
    {
        output = inner.Predict(x, t);
        (this.x, this.t) = (x, t);
    }

    public ModelOutput Predict(torch.Tensor x, double t)
    {
        // An exact comparison of the values (tolerances 0): the solver hands the model its own alias of x_i, not the same object.
        if (this.x is { } start && t == this.t && x.shape.SequenceEqual(start.shape) && x.allclose(start, 0.0, 0.0))
            return new ModelOutput(output.Epsilon.clone(), output.Data.clone()) { Features = output.Features?.clone() };
        return inner.Predict(x, t);
    }

    public ModelOutput Predict(torch.Tensor x, IReadOnlyList<double> times) =>
        times.All(s => s == times[0]) ? Predict(x, times[0]) : inner.Predict(x, times);

    public ModelOutput Predict(torch.Tensor x, double t, torch.Tensor latent) => inner.Predict(x, t, latent);
}
