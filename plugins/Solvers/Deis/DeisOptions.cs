using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Solvers;

/// <summary>The variable in which DEIS extrapolates eps between its last evaluations (Zhang and Chen 2023).</summary>
public enum DeisVariant
{
    /// <summary>tAB: a Lagrange polynomial in t; the coefficients are quadratures of rho' against it.</summary>
    Tab,
    /// <summary>A Lagrange polynomial in log rho = -lambda (diffusers' DEISMultistepScheduler, solver_type 'logrho'); closed-form coefficients.</summary>
    Logrho,
}

public sealed class DeisOptions
{
    [Description("Order of the extrapolation of eps, 1-3: eps is the Lagrange polynomial through the last 'order' evaluations; " +
        "the first steps use the history there is. Order 1 is DDIM")]
    [Range(1, 3)]
    public int Order { get; set; } = 3;

    [Description("The variable of that polynomial: 'tab' (default) the time t, as the DEIS paper's tAB; 'logrho' log rho, rho = sigma / alpha, " +
        "with closed-form coefficients, as diffusers' DEISMultistepScheduler (solver_type 'logrho')")]
    public DeisVariant Variant { get; set; } = DeisVariant.Tab;

    [Description("Lower the order over the last steps to the steps left (min(order, steps left)). " +
        "null (default) = for 'logrho' only when there are fewer than 15 steps, as diffusers' lower_order_final; for 'tab' never")]
    public bool? LowerOrderFinal { get; set; }
}
