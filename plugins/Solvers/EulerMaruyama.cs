using System.ComponentModel;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "euler-maruyama", Aliases = "sde-euler,reverse-sde",
    Summary = "Euler-Maruyama on the reverse-time SDE (Song et al. 2021, eq. (6)); any schedule")]
public sealed class EulerMaruyamaExport : PluginExport<EulerMaruyama, EulerMaruyamaOptions>;

public sealed class EulerMaruyamaOptions
{
    [Description("the last step returns the model's x_0 prediction at its start (Tweedie's denoising, as after the predictor of Song et al. 2021) " +
                 "instead of the noise-free Euler step; either way the last step adds no noise")]
    public bool DenoiseLast { get; set; } = true;
}

/// <summary>
/// The reverse-time SDE dx = [f(t) x - g(t)^2 score] dt + g(t) dw-bar (Song et al. 2021, eq. (6)) with
/// score = -eps / sigma, discretised by Euler-Maruyama from s to t (dt = t - s &lt; 0):
/// x_t = x_s + dt (f x_s + g^2 eps / sigma_s) + g sqrt(-dt) z, with f and g^2 of the schedule at s.
/// One model evaluation per step. The last step adds no noise: it is the Euler mean, or with
/// <see cref="EulerMaruyamaOptions.DenoiseLast"/> the x_0 prediction at its start.
/// </summary>
public sealed class EulerMaruyama(EulerMaruyamaOptions options) : ISolver
{
    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("euler-maruyama", schedule, times);

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        var (s, t) = (step.From, step.To);
        var (eps, x0) = context.Model.Predict(x, s.T);
        if (step.IsLast && options.DenoiseLast) return x0;

        // dt < 0: the reverse SDE runs back in time; dw-bar has variance |dt|.
        double dt = t.T - s.T, f = context.Schedule.Drift(s.T), g2 = context.Schedule.DiffusionSquared(s.T);
        // [f x - g^2 score] dt with score = -eps / sigma_s.
        var mean = Linear.Combine(1 + dt * f, x, dt * g2 / s.Sigma, eps);
        if (step.IsLast) return mean;
        return mean.AddScaled_(Math.Sqrt(-dt * g2), context.Noise.NormalLike(x));
    });
}
