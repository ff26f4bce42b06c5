using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Search.Momentum;

public sealed class AdaptiveMomentumOptions
{
    [Description("decay of the first moment (momentum) of the update direction; 0 = no momentum"), Range(0.0, 0.999)]
    public double Beta1 { get; set; } = 0.9;

    [Description("decay of the second moment (mean squared update per sample) that scales each step; 0 = every step keeps its own length"), Range(0.0, 0.9999)]
    public double Beta2 { get; set; } = 0.999;

    [Description("added to both root mean squares of the step-length ratio, so a zero update stays finite"), Range(0.0, 1.0)]
    public double Epsilon { get; set; } = 1e-8;

    [Description("first steps taken as the plain sampler takes them (the moments still accumulate)"), Range(0, 10000)]
    public int WarmupSteps { get; set; }
}
