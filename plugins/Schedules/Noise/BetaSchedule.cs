namespace Pipeline.Plugins.Schedules;

/// <summary>How the N betas of a discrete DDPM schedule are made (names as in diffusers' beta_schedule).</summary>
public enum BetaSchedule
{
    /// <summary>linspace(betaStart, betaEnd, N) (Ho et al. 2020).</summary>
    Linear,
    /// <summary>linspace(sqrt(betaStart), sqrt(betaEnd), N)^2 (latent / Stable Diffusion).</summary>
    ScaledLinear,
    /// <summary>Cosine alpha-bar of Nichol and Dhariwal 2021, eq. (17), betas capped at maxBeta.</summary>
    SquaredcosCapV2,
    /// <summary>
    /// The continuous VP SDE (beta(t) from 0.1 to 20) discretised at N + 1 uniform times from 1e-3 to 1, as Denoising
    /// Diffusion GANs use it for a handful of large steps (Xiao et al. 2022, Appendix C).
    /// </summary>
    VpContinuous,
}
