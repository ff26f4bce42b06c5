using Pipeline.Models;
using Pipeline.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>One model evaluation (one NFE) as the output a solver integrates; the other prediction is left to the step's scope.</summary>
internal static class DpmModel
{
    public static Tensor Output(IDenoiser model, DpmPrediction prediction, Tensor x, double t)
    {
        ModelOutput output = model.Predict(x, t);
        return prediction == DpmPrediction.Noise ? output.Epsilon : output.Data;
    }
}
