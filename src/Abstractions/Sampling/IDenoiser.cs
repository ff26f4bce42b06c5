using Pipeline.Models;
using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>What a solver calls: the guided model at (x, t), as both eps and x_0. Each call is one NFE.</summary>
public interface IDenoiser
{
    Schedules.INoiseSchedule Schedule { get; }

    ModelOutput Predict(torch.Tensor x, double t);

    /// <summary>
    /// Sample b at its own time <paramref name="times"/>[b]: one NFE for the batch (AMED's per-sample intermediate
    /// times). Denoisers that bind per-sample conditions must override this (<see cref="PerSampleTimes"/> does the
    /// grouping); the default serves only a batch at one time.
    /// </summary>
    ModelOutput Predict(torch.Tensor x, IReadOnlyList<double> times)
    {
        if (times.Count != x.shape[0])
            throw new ArgumentException($"{times.Count} times for a batch of {x.shape[0]}", nameof(times));
        if (times.All(t => t == times[0])) return Predict(x, times[0]);
        throw new NotSupportedException($"{GetType().Name} evaluates a batch at one time only");
    }

    /// <summary>Width of the latent code the model takes (<see cref="ILatentModel"/>), or null when it takes none.</summary>
    int? LatentSize => null;

    /// <summary>
    /// One evaluation of a latent model with the codes <paramref name="latent"/> [B, Z] (one NFE). Denoisers over a
    /// latent model override this; for any other model there is no latent to pass.
    /// </summary>
    ModelOutput Predict(torch.Tensor x, double t, torch.Tensor latent) =>
        throw new NotSupportedException($"{GetType().Name} does not evaluate latent models");

    /// <summary>Noise prediction eps(x, t).</summary>
    torch.Tensor Epsilon(torch.Tensor x, double t) => Predict(x, t).Epsilon;

    /// <summary>Data prediction x_0(x, t).</summary>
    torch.Tensor Data(torch.Tensor x, double t) => Predict(x, t).Data;
}
