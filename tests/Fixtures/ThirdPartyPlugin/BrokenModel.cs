using System.ComponentModel;
using Pipeline.Models;
using Pipeline.Plugins;
using TorchSharp;

namespace ThirdParty.Sampling;

[Plugin(PluginKinds.Model, "nan-model", Summary = "Predicts zero noise, then NaN below a time (for testing the host's checks)")]
public sealed class NanModelExport : PluginExport<NanModel, NanModelOptions>;

public sealed class NanModelOptions
{
    [Description("Below this time the output is NaN")]
    public double NanBelow { get; set; } = 0.5;

    public long[] SampleShape { get; set; } = [2];
}

public sealed class NanModel(NanModelOptions options) : IDiffusionModel
{
    public PredictionType Prediction => PredictionType.Epsilon;
    public TimeInput TimeInput => TimeInput.Continuous;
    public long[]? SampleShape => options.SampleShape;
    public int? Classes => null;

    public torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels)
    {
        if (time.T >= options.NanBelow) return torch.zeros_like(x);
        using Scalar nan = double.NaN;
        return torch.full_like(x, nan);
    }
}
