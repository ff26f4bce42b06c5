using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Schedules;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "deis", Aliases = "deis-tab,deis_tab,tab-deis",
    Summary = "DEIS (Zhang and Chen 2023), tAB: exponential integrator with Adams-Bashforth extrapolation of eps in t, orders 1-3; any schedule")]
public sealed class DeisExport : PluginExport<Deis, DeisOptions>;

/// <summary>
/// tAB-DEIS (Zhang and Chen 2023): the exponential integrator of the probability-flow ODE with eps extrapolated by the
/// Lagrange polynomial in t through the last r = min(order, i + 1) evaluations (multistep Adams-Bashforth in t):
/// <code>
/// x_t = (alpha_t / alpha_s) x_s + sum_{j &lt; r} C_j eps(x_{t_{i-j}}, t_{i-j}),
/// </code>
/// C_j from <see cref="DeisCoefficients"/>, all computed before the loop. One evaluation per step, at its start, so a
/// final time of 0 is fine (rho = sigma / alpha = 0 there). This is the paper's tAB variant; its rhoAB extrapolates in
/// rho = sigma / alpha instead, and diffusers' DEISMultistepScheduler ('logrho') in log rho = -lambda.
/// </summary>
public sealed class Deis(DeisOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("deis", schedule, times);

    public int Evaluations(IReadOnlyList<double> times) => Math.Max(times.Count - 1, 0);

    public Tensor Sample(SamplingContext context)
    {
        var plan = DeisCoefficients.Plan(context.Schedule, context.Times, options.Order);
        using var history = new MultistepHistory(options.Order);
        return StepLoop.Run(context, (x, step) =>
        {
            history.Push(step.From, context.Model.Epsilon(x, step.From.T));
            var c = plan[step.Index];
            return history.Combine(c.XWeight, x, c.Eps);
        });
    }
}
