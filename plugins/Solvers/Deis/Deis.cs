using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "deis", Aliases = "deis-tab,deis_tab,tab-deis",
    Summary = "DEIS (Zhang and Chen 2023): exponential integrator with multistep extrapolation of eps in t (tAB, default) " +
        "or in log rho ('variant': 'logrho', diffusers' DEISMultistepScheduler), orders 1-3; any schedule")]
public sealed class DeisExport : PluginExport<Deis, DeisOptions>;

/// <summary>
/// DEIS (Zhang and Chen 2023): the exponential integrator of the probability-flow ODE with eps extrapolated by the
/// Lagrange polynomial through the last r = min(order, i + 1) evaluations (lowered over the last steps with
/// lowerOrderFinal):
/// <code>
/// x_t = (alpha_t / alpha_s) x_s + sum_{j &lt; r} C_j eps(x_{t_{i-j}}, t_{i-j}),
/// </code>
/// all C_j computed before the loop. 'tab' (default, the paper's tAB) interpolates in t, C_j by quadrature
/// (<see cref="DeisCoefficients"/>); 'logrho' (diffusers' DEISMultistepScheduler) in log rho = -lambda, C_j in closed
/// form (<see cref="DeisLogRho"/>). One evaluation per step, at its start, so a final time of 0 is fine
/// (rho = sigma / alpha = 0 there). The paper's rhoAB (in rho itself) is not implemented.
/// </summary>
public sealed class Deis(DeisOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("deis", schedule, times);

    public int Evaluations(IReadOnlyList<double> times) => Math.Max(times.Count - 1, 0);

    public Tensor Sample(SamplingContext context)
    {
        var plan = DeisCoefficients.Plan(context.Schedule, context.Times, options);
        using var history = new MultistepHistory(options.Order);
        return StepLoop.Run(context, (x, step) =>
        {
            history.Push(step.From, context.Model.Epsilon(x, step.From.T));
            var c = plan[step.Index];
            return history.Combine(c.XWeight, x, c.Eps);
        });
    }
}
