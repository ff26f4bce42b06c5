using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Schedules;

public sealed class KarrasOptions : SigmaRangeOptions
{
    [Description("rho of Karras et al. eq. (5); 7 in the paper, larger values put more steps near sigmaMin"), Range(0.0, 1000.0, MinimumIsExclusive = true)]
    public double Rho { get; set; } = 7.0;
}
