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

    public ModelOutput Predict(torch.Tensor x, double t)
    {
        if (!(t >= schedule.TMin * (1 - 1e-9)))
            throw new InvalidOperationException($"model evaluated at t = {t}, below TMin = {schedule.TMin}");
        Evaluations++;
        Times.Add(t);
        var (eps, x0) = mixture.Predict(x, schedule.Alpha(t), schedule.Sigma(t));
        if (x.dtype == torch.float64) return new(eps, x0);
        using (eps) using (x0) return new(eps.to_type(x.dtype), x0.to_type(x.dtype));
    }
}
