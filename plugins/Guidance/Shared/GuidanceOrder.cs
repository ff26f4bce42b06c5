using Pipeline.Sampling;

namespace Pipeline.Plugins.Guidance.Shared;

/// <summary>Order rules between guidance steps, checked by the later one (it sees what it wraps).</summary>
internal static class GuidanceOrder
{
    /// <summary>
    /// Thresholding bounds x_0 of what it wraps. A guidance listed after it (so wrapping it) changes x_0 again:
    /// cfg extrapolates two thresholded branches (s &gt; 1), classifier guidance adds s sigma^2 / alpha grad, and
    /// the result leaves the range the thresholding was listed to enforce. Imagen thresholds the guided x_0.
    /// </summary>
    public static IEnumerable<string> ThresholdingFirst(IConditionalDenoiser inner, string guidance)
    {
        foreach (var step in GuidedDenoiser.Chain(inner))
            if (step is Thresholding.ThresholdedDenoiser)
                yield return $"'{step.Name}' is listed before '{guidance}', so {guidance} would change x_0 after it was thresholded and move it out of range again; " +
                             $"list '{step.Name}' after '{guidance}' (guidance steps apply in list order, the last one sees the final prediction)";
    }
}
