using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Options;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

[Plugin(PluginKinds.Solver, "sde-dpm-solver++", Aliases = "sde-dpmsolver++,dpmpp-2m-sde,dpmpp_2m_sde,sde-dpmpp-2m,sde_dpm_solver_pp",
    Summary = "SDE-DPM-Solver++(2M) (Lu et al. 2022b): multistep data-prediction solver of the reverse SDE with exact noise injection; orders 1-2; may end at t = 0")]
public sealed class SdeDpmSolverPlusPlusExport : PluginExport<SdeDpmSolverPlusPlus, SdeDpmSolverPlusPlusOptions>;

public sealed class SdeDpmSolverPlusPlusOptions
{
    [Description("1 (SDE-DPM-Solver-1, = DDIM with eta = 1) or 2 (SDE-DPM-Solver++(2M))"), Range(1, 2)]
    public int Order { get; set; } = 2;

    [Description("second-order variant: 'midpoint' (diffusers' default) or 'heun'")]
    public DpmSolverType SolverType { get; set; } = DpmSolverType.Midpoint;

    [Description("runs of fewer than lowerOrderFinalBelow steps end with a first-order step")]
    public bool LowerOrderFinal { get; set; } = true;

    [Description("step count below which lowerOrderFinal applies (15, as diffusers)")]
    [Range(1, int.MaxValue)]
    public int LowerOrderFinalBelow { get; set; } = 15;

    [Description("after the last time, one more evaluation there and return its data prediction x_0 (NFE + 1)")]
    public bool DenoiseToZero { get; set; } = false;
}

/// <summary>
/// SDE-DPM-Solver++ (Lu et al. 2022b, the "sde-dpmsolver++" of diffusers, k-diffusion's dpmpp_2m_sde with eta = 1):
/// the reverse diffusion SDE written with the data prediction, its linear part and its noise integrated exactly,
/// h = lambda_t - lambda_s:
/// <code>x_t = sigma_t/sigma_s e^{-h} x_s + alpha_t (1 - e^{-2h}) x_0 + [second-order term] + sigma_t sqrt(1 - e^{-2h}) z</code>
/// The second-order term uses D_1 = (m_0 - m_1) / r_0 (r_0 = h_0 / h, the previous output m_1) as in the 2M ODE solver:
/// midpoint 0.5 alpha_t (1 - e^{-2h}) D_1; heun alpha_t ((1 - e^{-2h}) / (-2h) + 1) D_1, the exact integral of the
/// linear term. Order 1 is DDIM with eta = 1 (the DDPM posterior on VP schedules). A step into t = 0 returns the data
/// prediction and draws no noise.
/// </summary>
public sealed class SdeDpmSolverPlusPlus(SdeDpmSolverPlusPlusOptions options) : ISolver
{
    const string Name = "sde-dpm-solver++";

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        var problems = TimesCheck.Problems(Name, schedule, times, evaluatesLast: options.DenoiseToZero).ToList();
        if (problems.Count == 0 && times[^1] == 0 && options.DenoiseToZero)
            problems.Add($"{Name}: the times already end at t = 0, so denoiseToZero would step there twice; " +
                "set denoiseToZero: false, or end the times at TMin");
        return problems;
    }

    public int Evaluations(IReadOnlyList<double> times) => Math.Max(times.Count - 1, 0) + (options.DenoiseToZero ? 1 : 0);

    public Tensor Sample(SamplingContext context)
    {
        if (Check(context.Schedule, context.Times).FirstOrDefault() is { } problem)
            throw new PipelineInputException(problem, "$.solver");
        int n = context.Steps;
        using var history = new MultistepHistory(options.Order);
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            int order = Math.Min(options.Order, step.Index + 1);
            if (step.IntoClean || options.LowerOrderFinal && n < options.LowerOrderFinalBelow && step.IsLast) order = 1;
            history.Push(s, context.Model.Data(x, s.T));
            return step.IntoClean ? history[0].clone() : Step(x, s, t, order, context, history);
        }, denoiseAtEnd: options.DenoiseToZero);
    }

    Tensor Step(Tensor x, TimePoint s, TimePoint t, int order, SamplingContext context, MultistepHistory history)
    {
        double h = t.Lambda - s.Lambda;
        double decay = Numerics.OneMinusExpNeg(2 * h);              // 1 - e^{-2h}
        double keep = t.Sigma / s.Sigma * Math.Exp(-h);             // sigma_t / sigma_s e^{-h}
        double c1 = t.Alpha * decay;
        var next = Linear.Combine(keep, x, c1, history[0]);
        if (order == 2)
        {
            double r0 = (s.Lambda - history.Time(1).Lambda) / h;
            // Weight of D_1: midpoint alpha_t (1 - e^{-2h}) / 2; heun alpha_t ((1 - e^{-2h}) / (-2h) + 1) = -alpha_t z phi_2(z), z = -2h.
            double wD1 = options.SolverType == DpmSolverType.Midpoint
                ? 0.5 * c1
                : -t.Alpha * PhiFunctions.ZPhi(2, -2 * h);
            next.AddScaled_(wD1 / r0, history[0]).AddScaled_(-wD1 / r0, history[1]);
        }
        return next.AddScaled_(t.Sigma * Math.Sqrt(decay), context.Noise.NormalLike(x));
    }
}
