using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "ddgan", Aliases = "denoising-diffusion-gan",
    Summary = "Denoising Diffusion GAN chain (Xiao et al. 2022): x_0 = G(x_t, z), then x_(t-1) from the posterior q(x_(t-1) | x_t, x_0); the T steps the generator was trained on")]
public sealed class DdganExport : PluginExport<Ddgan, NoOptions>;

/// <summary>
/// Sampling a Denoising Diffusion GAN (Xiao, Kreis and Vahdat 2022, section 3 and Algorithm 2): at each of the T
/// steps of the discrete chain the generator maps x_k and a fresh latent z ~ N(0, I) to a sample x_0' of the
/// multimodal p(x_0 | x_k), and x_(k-1) is drawn from the Gaussian posterior q(x_(k-1) | x_k, x_0') with the
/// posterior variance beta-tilde (eq. (6); none into clean data). The generator was trained for exactly that chain,
/// so the schedule must be its discrete schedule and the times must be every step k / T, k = T .. 0. Both z and the
/// posterior noise come from each sample's own stream, so a sample does not depend on its batch.
/// </summary>
public sealed class Ddgan : ISolver
{
    const double Tolerance = 1e-9;

    /// <summary>The host builds every plugin with its options object; ddgan has none.</summary>
    public Ddgan(NoOptions? options = null) { }

    public bool OneStep => true;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        foreach (var problem in TimesCheck.Problems("ddgan", schedule, times)) yield return problem;
        if (schedule.TrainingSteps is not int n || !schedule.VariancePreserving)
        {
            yield return "ddgan needs the discrete noise schedule the generator was trained on (for example { \"type\": \"discrete\", \"betaSchedule\": \"vp-continuous\", \"trainingSteps\": 4 })";
            yield break;
        }
        bool chain = times.Count == n + 1 && times.Select((t, i) => Math.Abs(t - (n - i) / (double)n) <= Tolerance).All(ok => ok);
        if (!chain)
            yield return $"ddgan runs the generator's whole chain, its {n} steps at t = k / {n} from 1 to 0 ({n} evaluations), but the time steps give {times.Count - 1} " +
                         $"step{(times.Count == 2 ? "" : "s")} ({string.Join(", ", times.Take(6).Select(t => t.ToString("0.####")))}{(times.Count > 6 ? ", ..." : "")}); " +
                         $"use {{ \"type\": \"time-uniform\", \"steps\": {n}, \"tEnd\": 0 }} or the explicit times [{string.Join(", ", Enumerable.Range(0, n + 1).Select(i => ((n - i) / (double)n).ToString("0.####")))}]";
    }

    public IEnumerable<string> CheckModel(IDiffusionModel model, INoiseSchedule schedule)
    {
        if (model is not ILatentModel generator)
        {
            yield return "ddgan samples a Denoising Diffusion GAN generator (a model that takes a latent code, such as 'mnist-ddgan'); this model takes none, so use any other solver";
            yield break;
        }
        var trained = generator.TrainedAlphasCumprod;
        if (schedule.TrainingSteps is not int n) yield break;   // Check says what the schedule must be.
        if (n != trained.Count)
        {
            yield return $"the generator was trained on a chain of {trained.Count} steps but the noise schedule has {n}; set the schedule's trainingSteps to {trained.Count}";
            yield break;
        }
        for (int k = 1; k <= n; k++)
        {
            double alpha = schedule.Alpha(k / (double)n), abar = alpha * alpha;
            if (Math.Abs(abar - trained[k - 1]) > Tolerance * Math.Max(1e-3, trained[k - 1]))
            {
                yield return $"the noise schedule's alpha_bar at step {k} is {abar:G6} but the generator was trained with {trained[k - 1]:G6}; " +
                             "use the discrete schedule recorded with the checkpoint (its training.resolved noiseSchedule)";
                yield break;
            }
        }
    }

    public Tensor Sample(SamplingContext context)
    {
        int latentSize = context.Model.LatentSize
            ?? throw new PipelineInputException("ddgan needs a model that takes a latent code (a DDGAN generator such as 'mnist-ddgan')", "$.solver");
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            using var shape = empty(x.shape[0], latentSize, x.dtype, x.device);
            var z = context.Noise.NormalLike(shape);
            var x0 = context.Model.Predict(x, s.T, z).Data;
            var posterior = VpPosterior.Between(s, t);
            var mean = posterior.Mean(x0, x);
            if (step.IntoClean) return mean;
            return mean.AddScaled_(Math.Sqrt(posterior.BetaTilde), context.Noise.NormalLike(x));
        });
    }
}
