using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Karras;

/// <summary>
/// The second-order stage shared by <see cref="Dpm2"/> and <see cref="Dpm2Ancestral"/> (k-diffusion's sample_dpm_2, after
/// DPM-Solver-2, Lu et al. 2022, Algorithm 1, written in the noise ratio rho = sigma / alpha as Karras et al. 2022 do):
/// an Euler step from rho_s to the geometric mean rho_mid = exp((log rho_s + log rho_end) / 2), then the slope there is
/// used over the whole step, y_end = y_s + (rho_end - rho_s) eps(x_mid, t_mid). The midpoint in log rho is
/// DPM-Solver-2's midpoint in lambda = -log rho on VE schedules.
/// </summary>
internal static class Dpm2Step
{
    /// <summary>The slope eps at the midpoint between <paramref name="s"/> and the noise ratio <paramref name="rhoEnd"/> &gt; 0.</summary>
    /// <param name="context">The run (model and schedule).</param>
    /// <param name="x">x at <paramref name="s"/>; not written.</param>
    /// <param name="s">The step's start.</param>
    /// <param name="d">eps(x, s), the slope at the start.</param>
    /// <param name="rhoEnd">The noise ratio the step ends at (rho_{i+1}, or the ancestral rho_down).</param>
    public static Tensor MidpointSlope(SamplingContext context, Tensor x, TimePoint s, Tensor d, double rhoEnd)
    {
        var schedule = context.Schedule;
        double rhoMid = Math.Exp(0.5 * (Math.Log(s.Rho) + Math.Log(rhoEnd)));
        var mid = TimePoint.At(schedule, schedule.TimeOfNoiseRatio(rhoMid));
        using var xMid = NoiseRatioStep.Apply(x, s, mid, d);
        return context.Model.Epsilon(xMid, mid.T);
    }

    /// <summary>2 NFE per step, 1 on a step into t = 0 (an Euler step there: the midpoint would be at rho = 0).</summary>
    public static int Evaluations(IReadOnlyList<double> times)
    {
        int steps = Math.Max(times.Count - 1, 0);
        return steps == 0 ? 0 : 2 * steps - (times[^1] == 0 ? 1 : 0);
    }
}
