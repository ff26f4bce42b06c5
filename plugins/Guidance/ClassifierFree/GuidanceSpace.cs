namespace Pipeline.Plugins.Guidance.ClassifierFree;

/// <summary>The prediction that guidance rescale acts on; the other is converted from it.</summary>
public enum GuidanceSpace
{
    /// <summary>The noise prediction eps (as diffusers applies guidance_rescale).</summary>
    Epsilon,
    /// <summary>The data prediction x_0 (as Lin et al. 2024 describe it, on the x_0 the v-model implies).</summary>
    Data,
}
