using System.Diagnostics;
using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Search.AnalyticDpm;

[Plugin(PluginKinds.OfflineOptimizer, "analytic-dpm", Aliases = "analytic-variance,analytic-ddpm",
    Summary = "Analytic-DPM (Bao et al. 2022): estimates E||eps||^2/d over data per time into variance.json for ddpm / ddim 'analyticVariance'")]
public sealed class AnalyticDpmExport : PluginExport<AnalyticDpm, AnalyticDpmOptions>;

/// <summary>
/// Estimates Gamma(t) = E_{x_0, eps} ||eps_theta(alpha_t x_0 + sigma_t eps, t)||^2 / d by Monte Carlo over the model's
/// training data (Bao et al. 2022, eq. (8): the score's mean square, beta-bar_n E||grad log q_n||^2 / d, is Gamma), the
/// one unknown of their optimal reverse variance, and writes it with its standard errors as <see cref="VarianceTable"/>.
/// The model is evaluated as the pipeline's solver sees it (guidance applied, labels of the drawn data bound).
/// </summary>
public sealed class AnalyticDpm(AnalyticDpmOptions options) : IOfflineOptimizer
{
    public IEnumerable<string> Check(IOptimizationTarget target)
    {
        if (target.Model is not ITrainingData)
            yield return "analytic-dpm averages over the model's data, but this model offers none (it does not implement ITrainingData); " +
                "use 'gmm' or 'mnist-unet'";
    }

    public IReadOnlyDictionary<string, object?> Optimize(OptimizationContext context)
    {
        var target = context.Target;
        var data = target.Model as ITrainingData
            ?? throw new Options.PipelineInputException("analytic-dpm needs a model that supplies its data (ITrainingData)", "$.model");
        var times = Times(target.Schedule, target.Times);
        int total = options.Samples, batch = Math.Min(options.BatchSize ?? target.BatchSize, total);
        var sum = new double[times.Length];
        var sumSquares = new double[times.Length];
        var watch = Stopwatch.StartNew();
        long evaluations = 0;

        for (int start = 0, index = 0; start < total; start += batch, index++)
        {
            int n = Math.Min(batch, total - start);
            context.Report(start, total, $"Gamma(t) at {times.Length} times: draws {start}..{start + n} of {total}");
            using var scope = NewDisposeScope();
            // Each batch has its own seeds, so the draws do not depend on the batch size's history.
            long batchSeed = unchecked(options.Seed * 1_000_003 + index);
            var (x0, labels) = data.Draw(n, batchSeed, target.Environment.Device, target.Environment.DType);
            using var generator = new Generator(unchecked((ulong)(batchSeed ^ 0x5DEECE66DL)));
            var noise = randn(x0.shape, float64, generator: generator).to(x0.dtype, x0.device);
            var denoiser = target.Denoiser(labels);
            try
            {
                var perTime = new Tensor[times.Length];
                for (int j = 0; j < times.Length; j++)
                {
                    using var inner = NewDisposeScope();
                    double t = times[j];
                    using Scalar alpha = target.Schedule.Alpha(t), sigma = target.Schedule.Sigma(t);
                    var xt = x0.mul(alpha).add_(noise, sigma);
                    var eps = denoiser.Epsilon(xt, t);
                    // ||eps||^2 / d per draw, in float64 so the sums below lose nothing.
                    perTime[j] = inner.MoveToOuter(eps.to_type(float64).Squared().reshape(n, -1).mean([1]));
                    evaluations += n;
                    context.Cancellation.ThrowIfCancellationRequested();
                }
                // One read-back per batch: [times, n].
                var all = stack(perTime).cpu();
                var sums = all.sum([1]).data<double>().ToArray();
                var squares = all.Squared().sum([1]).data<double>().ToArray();
                for (int j = 0; j < times.Length; j++) { sum[j] += sums[j]; sumSquares[j] += squares[j]; }
            }
            finally
            {
                (denoiser as IDisposable)?.Dispose();
            }
        }
        context.Report(total, total, "writing " + VarianceTable.FileName);

        var gamma = sum.Select(s => s / total).ToArray();
        // Standard error of a mean of `total` draws: sqrt(sample variance / total).
        var errors = gamma.Select((g, j) => Math.Sqrt(Math.Max(sumSquares[j] / total - g * g, 0) * total / (total - 1) / total)).ToArray();
        var table = new VarianceTable
        {
            Times = times, Gamma = gamma, StandardErrors = errors, Samples = total, DataRange = options.DataRange,
            Description = $"Analytic-DPM Gamma(t) = E||eps_theta||^2/d of model {target.Model.GetType().Name} on {target.Schedule.GetType().Name}",
        };
        var file = Path.Combine(context.OutputDirectory, VarianceTable.FileName);
        table.Save(file);
        return new Dictionary<string, object?>
        {
            ["table"] = VarianceTable.FileName,
            ["times"] = times.Length,
            ["samples"] = total,
            ["evaluations"] = evaluations,
            ["seconds"] = watch.Elapsed.TotalSeconds,
            ["maxStandardError"] = errors.Max(),
            ["use"] = $"\"solver\": {{ \"type\": \"ddpm\", \"analyticVariance\": \"<this folder>/{VarianceTable.FileName}\" }} (or ddim with eta > 0)",
        };
    }

    /// <summary>Increasing times of the table (see <see cref="VarianceTimes"/>).</summary>
    double[] Times(INoiseSchedule schedule, IReadOnlyList<double> pipelineTimes)
    {
        var mode = options.Times;
        if (mode == VarianceTimes.Pipeline)
            // Every step starts from one of these; the final time is never a step's start.
            return pipelineTimes.Take(pipelineTimes.Count - 1).Where(t => t > 0).Distinct().Order().ToArray();
        if (mode == VarianceTimes.Auto && schedule.TrainingSteps is int n)
            // Discrete step i is time (i + 1) / N (the DPM-Solver convention the schedules follow).
            return Enumerable.Range(1, n).Select(i => (double)i / n).ToArray();
        int points = options.Points;
        double lo = schedule.TMin, hi = schedule.TMax;
        return Enumerable.Range(0, points).Select(i => i == points - 1 ? hi : lo + (hi - lo) * i / (points - 1)).ToArray();
    }
}
