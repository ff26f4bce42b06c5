using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Solvers;

public sealed class DeisOptions
{
    [Description("Order of the Adams-Bashforth extrapolation of eps in t, 1-3 (tAB-DEIS): eps is the Lagrange polynomial through the last " +
        "'order' evaluations; the first steps use the history there is. Order 1 is DDIM")]
    [Range(1, 3)]
    public int Order { get; set; } = 3;
}
