using Pipeline.Models;
using Pipeline.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>
/// The current x of a run, owned: each step computes the next x inside its own dispose scope, moves only that out and
/// hands it to <see cref="Replace"/>, which disposes the previous one. The caller's initial tensor is never written.
/// </summary>
internal sealed class DpmState(Tensor initial) : IDisposable
{
    public Tensor X { get; private set; } = initial.alias();

    public void Replace(Tensor next)
    {
        X.Dispose();
        X = next;
    }

    /// <summary>Gives up ownership of the final x (the run's result).</summary>
    public Tensor Release()
    {
        var x = X;
        X = null!;
        return x;
    }

    public void Dispose() => X?.Dispose();
}

/// <summary>One model evaluation (one NFE) as the output a solver integrates; the other prediction is left to the step's scope.</summary>
internal static class DpmModel
{
    public static Tensor Output(IDenoiser model, DpmPrediction prediction, Tensor x, double t)
    {
        ModelOutput output = model.Predict(x, t);
        return prediction == DpmPrediction.Noise ? output.Epsilon : output.Data;
    }
}
