using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Guidance.Thresholding;

public sealed class DynamicThresholdingOptions
{
    [Range(double.Epsilon, 1.0), Description("percentile p of |x_0| per sample that sets the threshold s (Imagen: 0.995; 1 = the largest value)")]
    public double Percentile { get; set; } = 0.995;

    [Range(1.0, double.MaxValue), Description("upper limit on s (null = none, as in Imagen); maxValue 1 makes this static clipping to [-1, 1]")]
    public double? MaxValue { get; set; }
}
