using Pipeline.Host.Composition;
using Pipeline.Host.Definitions;
using Pipeline.Host.Runtime;
using TorchSharp;

namespace Pipeline.Host.Running;

/// <summary>
/// x_T of a run's samples: a draw from the noise schedule's prior at the run's first time t_0,
/// x_T = PriorStd(t_0) z (see <see cref="Schedules.INoiseSchedule.PriorStd"/>: z on VP schedules, sigma(t_0) z where
/// alpha = 1), so every sampler starts from the distribution it assumes. z comes from the samples' seeds (the first
/// draws of their noise streams) or from sampling.initialNoise; a file of kind "xt" is x_T itself and is not scaled.
/// The runner and the offline optimizers' target both start here, and metrics that restart a flow from x_T (exact-ode-error,
/// reference-ode-error) receive the x_T this returned.
/// </summary>
public static class InitialState
{
    /// <summary>x_T of samples [start, start + count) on the run's device in its dtype.</summary>
    /// <param name="noise">The samples' noise streams; z is their first draw when no file is given.</param>
    /// <param name="t0">The first time of the run (the times it actually uses).</param>
    public static torch.Tensor Of(ComposedPipeline pipeline, PerSampleNoise noise, int start, int count, double t0)
    {
        var env = pipeline.Environment;
        double scale = pipeline.Schedule.PriorStd(t0);
        if (pipeline.InitialNoise is not { } file) return noise.Normal(pipeline.SampleShape, scale);

        using var scope = torch.NewDisposeScope();
        var rows = file.narrow(0, start, count);
        if (pipeline.Sampling.InitialNoiseKind == InitialNoiseKind.StandardNormal && scale != 1.0)
        {
            using var s = scale.ToScalar();
            rows = rows.to(torch.ScalarType.Float64).mul(s);
        }
        return scope.MoveToOuter(rows.to(env.DType).to(env.Device));
    }
}
