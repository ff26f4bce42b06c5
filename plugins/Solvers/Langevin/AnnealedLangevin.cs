using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Langevin;

[Plugin(PluginKinds.Solver, "langevin", Aliases = "ald,annealed-langevin,ncsn",
    Summary = "Annealed Langevin dynamics (Song and Ermon 2019, NCSN Algorithm 1): nStepsEach Langevin steps per noise level")]
public sealed class AnnealedLangevinExport : PluginExport<AnnealedLangevin, AnnealedLangevinOptions>;

public sealed class AnnealedLangevinOptions
{
    [Description("epsilon: the step size at the smallest noise level sigma_L; level i uses epsilon sigma_i^2 / sigma_L^2 (NCSN: 2e-5 for sigma_L = 0.01). Must stay below 2 sigma_L^2")]
    [Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
    public double Epsilon { get; set; } = 2e-5;

    [Description("T: Langevin steps (model evaluations) at each noise level (NCSN: 100)")]
    [Range(1, 100000)]
    public int NStepsEach { get; set; } = 100;
}

/// <summary>
/// Annealed Langevin dynamics (Song and Ermon 2019, Algorithm 1): at each noise level sigma_i, T steps
/// x &lt;- x + (a_i / 2) s(x, sigma_i) + sqrt(a_i) z with a_i = epsilon sigma_i^2 / sigma_L^2 and the score
/// s = -eps / sigma. The noise levels are the times after the first (where x starts): step i runs the dynamics at
/// t_{i+1}, so the state after each step is a sample at that step's end. On VP schedules a_i carries the factor
/// alpha_i = 1 - beta_i of Song et al. 2021's VP corrector. A step into t = 0 is the denoising step of NCSNv2 (Song and
/// Ermon 2020): Tweedie's x_0 prediction at the last level, one NFE. sigma_L is the smallest positive sigma of the times.
/// </summary>
public sealed class AnnealedLangevin(AnnealedLangevinOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        var problems = TimesCheck.Problems("langevin", schedule, times, evaluatesLast: true).ToList();
        if (problems.Count > 0) return problems;
        double sigmaL = SmallestSigma(schedule, times);
        // In a direction where the data has no spread p_t has variance sigma^2; unadjusted Langevin with step a on
        // N(0, v) has the stationary variance v / (1 - a / (4 v)), twice v at a = 2 v and divergence at a = 4 v.
        if (options.Epsilon >= 2 * sigmaL * sigmaL)
            problems.Add($"langevin: epsilon = {options.Epsilon:G3} is at least 2 sigma_L^2 = {2 * sigmaL * sigmaL:G3} for the smallest noise level " +
                $"sigma_L = {sigmaL:G3} of these times; the Langevin steps would at least double the variance there or diverge. " +
                $"Use an epsilon of order 0.2 sigma_L^2 = {0.2 * sigmaL * sigmaL:G3} (NCSN's 2e-5 for sigma_L = 0.01), or end the times at a larger sigma");
        return problems;
    }

    public int Evaluations(IReadOnlyList<double> times) =>
        Enumerable.Range(0, Math.Max(times.Count - 1, 0)).Sum(i => times[i + 1] > 0 ? options.NStepsEach : 1);

    public Tensor Sample(SamplingContext context)
    {
        double sigmaL = SmallestSigma(context.Schedule, context.Times);
        return StepLoop.Run(context, (x, step) =>
        {
            var t = step.To;
            if (step.IntoClean) return context.Model.Data(x, step.From.T);

            double a = options.Epsilon * LangevinScale.Alpha(context.Schedule, t.T) * (t.Sigma * t.Sigma) / (sigmaL * sigmaL);
            var current = x;
            for (int k = 0; k < options.NStepsEach; k++)
            {
                using var inner = torch.NewDisposeScope();
                // x + (a / 2) s + sqrt(a) z with s = -eps / sigma.
                var eps = context.Model.Epsilon(current, t.T);
                var next = Linear.Combine(1, current, -a / (2 * t.Sigma), eps).AddScaled_(Math.Sqrt(a), context.Noise.NormalLike(current));
                inner.MoveToOuter(next);
                if (!ReferenceEquals(current, x)) current.Dispose();
                current = next;
            }
            return current;
        });
    }

    static double SmallestSigma(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        double last = times[^1] > 0 ? times[^1] : times.Count >= 2 ? times[^2] : times[0];
        return schedule.Sigma(last);
    }
}
