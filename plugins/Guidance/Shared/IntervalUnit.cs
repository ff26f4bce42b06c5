namespace Pipeline.Plugins.Guidance.Shared;

/// <summary>What the bounds of a guidance interval measure.</summary>
public enum IntervalUnit
{
    /// <summary>Progress p = 1 - t / TMax: 0 where sampling starts (t = TMax), 1 at clean data (t = 0).</summary>
    Fraction,
    /// <summary>Continuous time t of the noise schedule (sampling runs from large t to small).</summary>
    Time,
    /// <summary>Noise level sigma(t) / alpha(t) (EDM's sigma; Kynkaanniemi et al. 2024 state intervals in it).</summary>
    Sigma,
}
