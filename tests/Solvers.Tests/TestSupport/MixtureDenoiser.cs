using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Tests.TestSupport;

/// <summary>The exact mixture as a solver's model. Counts evaluations and refuses times below the schedule's TMin.</summary>
public sealed class MixtureDenoiser(GaussianMixture mixture, INoiseSchedule schedule) : IDenoiser
{
    public INoiseSchedule Schedule => schedule;

    public int Evaluations { get; private set; }

    public List<double> Times { get; } = [];

    /// <summary>Samples at their own times: one evaluation (the mixture is unconditional, so no labels to split).</summary>
    public ModelOutput Predict(torch.Tensor x, IReadOnlyList<double> times)
    {
        var output = PerSampleTimes.Predict(x, times, Conditioning.None, (part, t, _) => Evaluate(part, t));
        Evaluations++;
        Times.Add(times.Min());
        return output;
    }

    public ModelOutput Predict(torch.Tensor x, double t)
    {
        Evaluations++;
        Times.Add(t);
        return Evaluate(x, t);
    }

    ModelOutput Evaluate(torch.Tensor x, double t)
    {
        if (!(t >= schedule.TMin * (1 - 1e-9)))
            throw new InvalidOperationException($"model evaluated at t = {t}, below TMin = {schedule.TMin}");
        var (eps, x0) = mixture.Predict(x, schedule.Alpha(t), schedule.Sigma(t));
        if (x.dtype == torch.float64) return new(eps, x0);
        using (eps) using (x0) return new(eps.to_type(x.dtype), x0.to_type(x.dtype));
    }
}
