using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Guidance.Thresholding;

public sealed class StaticClippingOptions
{
    [Range(double.Epsilon, double.MaxValue), Description("x_0 is clamped to [-value, value] (1 for data scaled to [-1, 1])")]
    public double Value { get; set; } = 1.0;
}
