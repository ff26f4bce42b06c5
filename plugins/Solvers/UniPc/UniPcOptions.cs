using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Solvers;

/// <summary>Which model output UniPC extrapolates.</summary>
public enum UniPcPrediction
{
    /// <summary>The x_0 prediction, with the DPM-Solver++ base step (the authors' 'data_prediction', the default).</summary>
    Data,
    /// <summary>The eps prediction, with the DPM-Solver base step (the authors' 'noise_prediction').</summary>
    Noise,
}

/// <summary>The function B(h) that scales the higher-order terms of UniP and UniC.</summary>
public enum UniPcVariant
{
    /// <summary>B(h) = h (the authors' 'bh1').</summary>
    Bh1,
    /// <summary>B(h) = e^h - 1 (the authors' 'bh2', diffusers' default solver_type).</summary>
    Bh2,
}

public sealed class UniPcOptions
{
    [Description("Order p of the predictor UniP-p, 1-3 (UniPC-p); the corrector raises each corrected step to order p + 1. " +
        "The first steps use the history there is (order 1, 2, ...). 2 suits guided sampling, 3 unconditional")]
    [Range(1, 3)]
    public int Order { get; set; } = 2;

    [Description("'data' extrapolates the x_0 prediction (the authors' data_prediction, UniPC on DPM-Solver++); 'noise' the eps prediction")]
    public UniPcPrediction Prediction { get; set; } = UniPcPrediction.Data;

    [Description("B(h) of the order conditions: 'bh1' (B = h) or 'bh2' (B = e^h - 1, diffusers' default). " +
        "They differ only where a single coefficient is used (second-order predictor, first-order corrector)")]
    public UniPcVariant Variant { get; set; } = UniPcVariant.Bh2;

    [Description("Apply the corrector UniC after every step but the last. It reuses the model evaluation of the next step, so it costs no extra evaluation (diffusers: disable_corrector empty)")]
    public bool Corrector { get; set; } = true;

    [Description("Lower the order over the last steps to the steps left (min(order, steps left)): true (default) at every step count, " +
        "as the authors' code and diffusers do; null = only with fewer than 15 steps; false = never (full order, for convergence studies). " +
        "A full-order last step can ruin runs on trained networks (docs/solvers.md)")]
    public bool? LowerOrderFinal { get; set; } = true;
}
