namespace Pipeline.Host.Definitions;

/// <summary>What a sampling.initialNoise file holds.</summary>
public enum InitialNoiseKind
{
    /// <summary>z ~ N(0, I): scaled to the prior at the first time, x_T = PriorStd(t_0) z, exactly as drawn noise is.</summary>
    StandardNormal,

    /// <summary>x_T itself (for example saved from another library's run): used unscaled.</summary>
    XT,
}
