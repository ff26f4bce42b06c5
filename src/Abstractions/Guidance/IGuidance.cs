using Pipeline.Sampling;

namespace Pipeline.Guidance;

/// <summary>A decorator around the model's prediction (classifier-free, classifier, thresholding).</summary>
public interface IGuidance
{
    /// <summary>Problems with this guidance in this pipeline, checked before anything runs.</summary>
    IEnumerable<string> Check(IConditionalDenoiser inner) => [];

    /// <summary>True when this guidance steers towards per-sample labels, so the run must give them (sampling.labels or labelsInRows).</summary>
    bool UsesLabels => false;

    IConditionalDenoiser Wrap(IConditionalDenoiser inner);
}
