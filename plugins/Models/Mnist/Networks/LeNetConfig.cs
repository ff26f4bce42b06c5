using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>Sizes of <see cref="LeNet"/>.</summary>
public sealed class LeNetConfig
{
    [Description("channels of the first 5x5 convolution"), Range(4, 256)]
    public int Conv1 { get; set; } = 32;

    [Description("channels of the second 5x5 convolution"), Range(4, 256)]
    public int Conv2 { get; set; } = 64;

    [Description("width of the penultimate layer, the features of the Frechet distance"), Range(8, 2048)]
    public int Features { get; set; } = 128;

    [Description("dropout before the last layer while training"), Range(0.0, 0.9)]
    public double Dropout { get; set; } = 0.3;

    [Description("class labels"), Range(2, 1000)]
    public int Classes { get; set; } = 10;
}
