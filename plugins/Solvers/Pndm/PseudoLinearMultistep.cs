using Pipeline.SolverKit;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Pndm;

/// <summary>
/// The pseudo linear multistep step of PNDM (Liu et al. 2022, eq. (12)): the Adams-Bashforth combination of the last
/// eps predictions, e' = (55 e_0 - 59 e_1 + 37 e_2 - 9 e_3) / 24 at order 4 (newest first), fed to the transfer phi
/// (eq. (9), the DDIM step). Lower orders use the Adams-Bashforth weights of that order, as the PLMS start of
/// diffusers' PNDMScheduler and iPNDM (Zhang and Chen 2023) do. The weights assume equal steps in rho = sigma / alpha;
/// on other grids the combination is still consistent (the weights sum to 1) but no longer of order above 2.
/// </summary>
internal static class PseudoLinearMultistep
{
    public const int MaxOrder = 4;

    static readonly double[][] Weights =
    [
        [1.0],
        [3.0 / 2, -1.0 / 2],
        [23.0 / 12, -16.0 / 12, 5.0 / 12],
        [55.0 / 24, -59.0 / 24, 37.0 / 24, -9.0 / 24],
    ];

    /// <summary>Adams-Bashforth weights of <paramref name="order"/> (1..4), newest slope first.</summary>
    public static ReadOnlySpan<double> WeightsOf(int order) => Weights[order - 1];

    /// <summary>phi(x_s, e', s, t) with e' the order-<paramref name="order"/> combination of the newest entries of <paramref name="history"/>.</summary>
    public static Tensor Step(Tensor x, TimePoint s, TimePoint t, MultistepHistory history, int order) =>
        NoiseRatioStep.Apply(x, s, t, WeightsOf(order), history.Newest(order));
}
