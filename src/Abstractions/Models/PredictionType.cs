namespace Pipeline.Models;

/// <summary>What a network predicts at (x_t, t).</summary>
public enum PredictionType
{
    /// <summary>The noise eps.</summary>
    Epsilon,
    /// <summary>The clean data x_0.</summary>
    Data,
    /// <summary>v = alpha eps - sigma x_0 (Salimans and Ho 2022).</summary>
    V,
    /// <summary>The score grad log p_t(x) = -eps / sigma.</summary>
    Score,
    /// <summary>Rectified-flow velocity dx/dt = eps - x_0 for alpha = 1 - t, sigma = t.</summary>
    Flow,
}
