using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Options;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>How a DPM-Solver spends its model evaluations (the authors' <c>method</c> argument).</summary>
public enum DpmSolverMethod
{
    /// <summary>Multistep DPM-Solver (DPM-Solver++ Algorithm 2, "2M", and its third-order "3M"): one evaluation per step, earlier outputs reused.</summary>
    Multistep,
    /// <summary>DPM-Solver-fast (DPM-Solver app. C): singlestep orders 3, ..., 3 then 2 and/or 1, so that the evaluations equal the given steps.</summary>
    Singlestep,
    /// <summary>Singlestep DPM-Solver-k of one order throughout: steps / order outer steps.</summary>
    SinglestepFixed,
    /// <summary>DPM-Solver-12 / DPM-Solver-23 (DPM-Solver app. C): embedded pair with step-size control in lambda.</summary>
    Adaptive,
}

/// <summary>The second- and third-order variants of the authors' code (<c>solver_type</c>).</summary>
public enum DpmSolverType
{
    /// <summary>The authors' 'dpmsolver' (diffusers 'midpoint'): the update of the paper's algorithm boxes.</summary>
    Midpoint,
    /// <summary>The authors' 'taylor' (diffusers 'heun'): the Taylor-expansion coefficients phi_2, phi_3.</summary>
    Heun,
}

/// <summary>The second-difference term of the third-order multistep update.</summary>
public enum Multistep3Variant
{
    /// <summary>
    /// The authors' code (and diffusers): D_2 = (D1_0 - D1_1) / (r_0 + r_1), which is h^2 m''/2 while the phi_3 weight
    /// multiplies h^2 m'': the step is exact to second order only, and the method converges at order 2.
    /// </summary>
    Authors,
    /// <summary>D_2 = 2 (D1_0 - D1_1) / (r_0 + r_1) ~ h^2 m'', the full third-order Taylor term (as the singlestep 'taylor' form).</summary>
    Taylor,
}

/// <summary>Where a singlestep DPM-Solver takes its outer steps and intermediate evaluations.</summary>
public enum SinglestepGrid
{
    /// <summary>
    /// The time-step schedule's times are the evaluation grid (steps = NFE): an order-k step spans k consecutive
    /// intervals and evaluates at the times inside. The authors' skip types 'time_uniform' and 'time_quadratic'.
    /// </summary>
    Given,
    /// <summary>
    /// Only the first and last times and the step count (= NFE) are used: the outer steps are uniform in lambda and
    /// each is split uniformly in lambda (r1 = 1/2; r1 = 1/3, r2 = 2/3). The authors' skip type 'logSNR'.
    /// </summary>
    LogsnrUniform,
}

/// <summary>Options of <c>dpm-solver</c> and <c>dpm-solver++</c>; defaults are those of the authors' <c>sample()</c>.</summary>
public sealed class DpmSolverOptions : IValidatableObject
{
    [Description("solver order 1, 2 or 3; with method 'adaptive' 2 (DPM-Solver-12) or 3 (DPM-Solver-23)")]
    [Range(1, 3)]
    public int Order { get; set; } = 2;

    [Description("'multistep' (1 NFE per step), 'singlestep' (DPM-Solver-fast: orders mixed so that NFE = steps), " +
        "'singlestep-fixed' (order-k steps only; steps a multiple of order) or 'adaptive' (step-size control between the first and last time)")]
    public DpmSolverMethod Method { get; set; } = DpmSolverMethod.Multistep;

    [Description("second/third-order variant: 'midpoint' (the authors' 'dpmsolver') or 'heun' (the authors' 'taylor')")]
    public DpmSolverType SolverType { get; set; } = DpmSolverType.Midpoint;

    [Description("multistep only: runs of fewer than lowerOrderFinalBelow steps end with order 1 (and at most order 2 before it)")]
    public bool LowerOrderFinal { get; set; } = true;

    [Description("step count below which lowerOrderFinal applies: 10 in the authors' current code, 15 in their first releases and in diffusers; on trained networks 15 or more avoids a ruinous third-order last step (docs/solvers.md)")]
    [Range(1, int.MaxValue)]
    public int LowerOrderFinalBelow { get; set; } = 10;

    [Description("after the last time, one more evaluation there and return its data prediction x_0 (the step to t = 0; NFE + 1)")]
    public bool DenoiseToZero { get; set; } = false;

    [Description("multistep order 3: 'authors' (the reference code and diffusers; converges at order 2, see docs) or 'taylor' " +
        "(second difference doubled to the full Taylor term; order 3)")]
    public Multistep3Variant Multistep3 { get; set; } = Multistep3Variant.Authors;

    [Description("singlestep methods: 'given' (the times are the evaluation grid, the authors' 'time_uniform'/'time_quadratic') " +
        "or 'logsnr-uniform' (outer steps uniform in lambda between the first and last time, the authors' 'logSNR')")]
    public SinglestepGrid SinglestepGrid { get; set; } = SinglestepGrid.Given;

    [Description("adaptive: relative tolerance of the error estimate")]
    public double Rtol { get; set; } = 0.05;

    [Description("adaptive: absolute tolerance (0.0078 is about 1/128, for data in [-1, 1])")]
    public double Atol { get; set; } = 0.0078;

    [Description("adaptive: first step size in half log-SNR lambda")]
    public double HInit { get; set; } = 0.05;

    [Description("adaptive: safety factor in (0, 1] of the step-size update h <- theta h E^(-1/order)")]
    public double Theta { get; set; } = 0.9;

    [Description("adaptive: stop when the time is within tErr of the last time")]
    public double TErr { get; set; } = 1e-5;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (value, member) in new[] { (Rtol, nameof(Rtol)), (Atol, nameof(Atol)), (HInit, nameof(HInit)), (TErr, nameof(TErr)) })
            if (!(value > 0 && double.IsFinite(value)))
                yield return new ValidationResult($"{OptionsConventions.JsonName(member)} must be a positive number, not {value}", [member]);
        if (!(Theta > 0 && Theta <= 1))
            yield return new ValidationResult($"theta must be in (0, 1], not {Theta}", [nameof(Theta)]);
        if (Method == DpmSolverMethod.Adaptive && Order == 1)
            yield return new ValidationResult(
                "method 'adaptive' pairs two orders: set order 2 (DPM-Solver-12) or 3 (DPM-Solver-23)", [nameof(Order)]);
    }
}
