using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Options;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Langevin;

[Plugin(PluginKinds.Solver, "pc", Aliases = "predictor-corrector,pc-sampler,reverse-diffusion-langevin",
    Summary = "Predictor-corrector (Song et al. 2021): reverse-diffusion predictor + Langevin corrector with step size from the signal-to-noise ratio")]
public sealed class PredictorCorrectorExport : PluginExport<PredictorCorrector, PredictorCorrectorOptions>;

public sealed class PredictorCorrectorOptions
{
    [Description("r: the corrector's signal-to-noise ratio; the Langevin step is 2 alpha_i (r |z| / |score|)^2 per sample (score-SDE: 0.16 on VE, 0.01-0.27 on VP)")]
    [Range(0.0, double.MaxValue)]
    public double Snr { get; set; } = 0.16;

    [Description("M: Langevin corrector steps after each predictor step (each one model evaluation)")]
    [Range(0, 1000)]
    public int CorrectorSteps { get; set; } = 1;
}

/// <summary>
/// Predictor-corrector sampling (Song et al. 2021, app. G: PC sampling for the VE and VP SDEs with their Langevin corrector algorithms).
/// Predictor, reverse diffusion from s to t: with the forward transition x_s = a x_t + sqrt(b) z, a = alpha_s / alpha_t,
/// b = sigma_s^2 - a^2 sigma_t^2 (VE: a = 1, b = sigma_s^2 - sigma_t^2; VP: a = sqrt(1 - beta), b = beta),
/// x_t = (2 - a) x_s + b s(x_s, s) + sqrt(b) z. Corrector at t, M times: z ~ N(0, I), g = s(x, t),
/// e = 2 alpha_i (r |z| / |g|)^2, x &lt;- x + e g + sqrt(2 e) z, with the norms per sample, computed on the device
/// (the score-SDE code averages them over the batch, which would tie a sample to its batch). The score is -eps / sigma,
/// alpha_i = 1 - beta_i on VP schedules and 1 otherwise. A step into t = 0 is the final denoising (the x_0 prediction,
/// no noise, no corrector). NFE per step: 1 + M, 1 into t = 0.
/// </summary>
public sealed class PredictorCorrector(PredictorCorrectorOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("pc", schedule, times, evaluatesLast: options.CorrectorSteps > 0);

    public int Evaluations(IReadOnlyList<double> times) =>
        Enumerable.Range(0, Math.Max(times.Count - 1, 0)).Sum(i => 1 + (times[i + 1] > 0 ? options.CorrectorSteps : 0));

    public IEnumerable<string> CheckSamples(IReadOnlyList<long> sampleShape)
    {
        long perSample = sampleShape.Aggregate(1L, (a, b) => a * b);
        if (CorrectorProblem(perSample) is { } problem) yield return problem;
    }

    public Tensor Sample(SamplingContext context)
    {
        long batch = context.Initial.shape[0], perSample = batch == 0 ? 0 : context.Initial.numel() / batch;
        if (CorrectorProblem(perSample) is { } problem) throw new PipelineInputException("pc: " + problem, "$.solver");
        return StepLoop.Run(context, (x, step) => Step(context, x, step));
    }

    string? CorrectorProblem(long perSample) => options.CorrectorSteps > 0 && perSample <= 2
        ? $"the Langevin corrector takes its step size from per-sample norms, 2 alpha_i (r |z| / |score|)^2 (Song et al. 2021, " +
          $"app. G); with {perSample} value(s) per sample |score| comes near 0 so often that the expected step is infinite and " +
          "the samples diverge. Use 'correctorSteps': 0 (the reverse-diffusion predictor alone), the 'langevin' solver, or samples with more values"
        : null;

    Tensor Step(SamplingContext context, Tensor x, SolverStep step)
    {
        var (s, t) = (step.From, step.To);
        var (eps, x0) = context.Model.Predict(x, s.T);
        if (step.IntoClean) return x0;

        // Reverse diffusion (the predictor of PC sampling, VP SDE, in general form): b = sigma_s^2 (1 - e^{-2h}), b s = -(b / sigma_s) eps.
        double a = s.Alpha / t.Alpha, b = s.Sigma * s.Sigma * Numerics.OneMinusExpNeg(2 * step.H);
        var current = Linear.Combine(2 - a, x, -b / s.Sigma, eps).AddScaled_(Math.Sqrt(b), context.Noise.NormalLike(x));

        double alphaI = LangevinScale.Alpha(context.Schedule, t.T), r = options.Snr;
        long[] sampleDims = Enumerable.Range(1, (int)x.dim() - 1).Select(d => (long)d).ToArray();
        for (int k = 0; k < options.CorrectorSteps; k++)
        {
            using var inner = torch.NewDisposeScope();
            var z = context.Noise.NormalLike(current);
            var epsT = context.Model.Epsilon(current, t.T);
            // |z|^2 / |eps|^2 per sample; with g = -eps / sigma_t the step is e = 2 alpha_i r^2 sigma_t^2 ratio, so
            // x + e g + sqrt(2 e) z = x - (2 alpha_i r^2 sigma_t) ratio eps + 2 r sigma_t sqrt(alpha_i ratio) z.
            using Scalar tiny = 1e-30, toEps = -2 * alphaI * r * r * t.Sigma, toZ = 2 * r * t.Sigma * Math.Sqrt(alphaI);
            var ratio = SquaredNorm(z, sampleDims).div_(SquaredNorm(epsT, sampleDims).clamp_min(tiny));
            var next = current.addcmul(ratio, epsT, toEps).addcmul_(ratio.sqrt_(), z, toZ);
            inner.MoveToOuter(next);
            current.Dispose();
            current = next;
        }
        return current;
    }

    /// <summary>Sum of squares over everything but the batch dimension, kept as [B, 1, ...] for broadcasting.</summary>
    static Tensor SquaredNorm(Tensor v, long[] sampleDims) =>
        sampleDims.Length == 0 ? v.Squared() : v.Squared().sum(sampleDims, keepdim: true);
}
