using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "consistency", Aliases = "lcm,consistency-multistep",
    Summary = "Consistency-model sampling (Song et al. 2023, Algorithm 1): x_0 = f(x_T, T), then re-noise to each lower time of the run and denoise again; 1 evaluation per time but the last (0)")]
public sealed class ConsistencyExport : PluginExport<Consistency, Pipeline.Options.NoOptions>;

/// <summary>
/// Multistep consistency sampling (Song, Dhariwal, Chen and Sutskever 2023, Algorithm 1). The run's times are
/// T = t_0 &gt; tau_1 &gt; ... &gt; tau_(N-1) &gt; 0: the first step is one-step generation x = f(x_T, T); each later step draws
/// fresh noise z and evaluates f at x_tau = alpha_tau x + sigma_tau z, the forward process from the current estimate
/// (the paper's x + sqrt(tau^2 - eps^2) z on its VE schedule; here the schedule's own marginal). f is the model's data
/// prediction, so with a consistency model this is the paper's sampler and with any other model the same loop
/// (ComfyUI's and diffusers' LCM scheduler): denoise, re-noise, denoise. The run ends at time 0 with the last f.
/// Each re-noising draws from the sample's own stream, so a sample does not depend on its batch.
/// </summary>
public sealed class Consistency : ISolver
{
    /// <summary>The host builds every plugin with its options object; consistency has none (its levels are the run's times).</summary>
    public Consistency(Pipeline.Options.NoOptions? options = null) { }

    /// <summary>Each step reads only x and its own two times.</summary>
    public bool OneStep => true;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        foreach (var problem in TimesCheck.Problems("consistency", schedule, times)) yield return problem;
        if (times.Count >= 2 && times[^1] != 0)
            yield return $"consistency ends on the model's x_0 at t = 0 but the times end at t = {times[^1]}; end them at 0, " +
                         "e.g. { \"type\": \"explicit\", \"times\": [1, 0.5, 0] } (the times between are the re-noise levels of Algorithm 1)";
    }

    public Tensor Sample(SamplingContext context) => StepLoop.Run(context, (x, step) =>
    {
        // f(x_s, s): one evaluation, the estimate of x_0 (Algorithm 1, lines 2 and 6).
        var x0 = context.Model.Data(x, step.From.T);
        if (step.IntoClean) return x0;
        // Algorithm 1, line 5: x_tau = alpha_tau x_0 + sigma_tau z with fresh z.
        var t = step.To;
        return Linear.Combine(t.Alpha, x0, t.Sigma, context.Noise.NormalLike(x0));
    });
}
