using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Models;
using Pipeline.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace MyModel;

// In a definition: "model": { "type": "mymodel", "dimensions": 2, "mean": 1.0, "std": 0.5 }.
[Plugin(PluginKinds.Model, "mymodel", Summary = "Exact x_0 prediction for Gaussian data N(mean, std^2 I)")]
public sealed class MyModelExport : PluginExport<MyModel, MyModelOptions>;

public sealed class MyModelOptions
{
    [Description("Size of one sample"), Range(1, 1_000_000)]
    public int Dimensions { get; set; } = 2;

    [Description("Mean of every coordinate of the data")]
    public double Mean { get; set; } = 0.0;

    [Description("Standard deviation of every coordinate of the data"), Range(1e-6, 1e6)]
    public double Std { get; set; } = 1.0;
}

/// <summary>
/// For data x_0 ~ N(m, s^2 I) and x_t = alpha x_0 + sigma eps, the posterior mean is
/// E[x_0 | x_t] = m + alpha s^2 / (alpha^2 s^2 + sigma^2) (x_t - alpha m): an exact data prediction at every time.
/// A network model would run its module in <see cref="Forward"/> instead.
/// </summary>
public sealed class MyModel(MyModelOptions options) : IDiffusionModel
{
    public PredictionType Prediction => PredictionType.Data;
    public TimeInput TimeInput => TimeInput.Continuous;
    public long[]? SampleShape => [options.Dimensions];
    public int? Classes => null;

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels)
    {
        double s2 = options.Std * options.Std;
        double gain = time.Alpha * s2 / (time.Alpha * time.Alpha * s2 + time.Sigma * time.Sigma);
        using var g = gain.ToScalar();
        using var offset = (options.Mean * (1 - gain * time.Alpha)).ToScalar();
        using var one = 1.0.ToScalar();   // explicit alpha: add_(Scalar) alone makes one that nothing keeps alive
        return x.mul(g).add_(offset, one);
    }
}
