using Pipeline.Options;
using Pipeline.Sampling;
using TorchSharp;

namespace Pipeline.Plugins.Guidance.Shared;

internal static class GuidanceLabels
{
    /// <summary>The batch's labels; a guidance towards a class cannot run without them.</summary>
    public static torch.Tensor Require(Conditioning conditioning, string guidance) =>
        conditioning.Labels ?? throw new PipelineInputException(
            $"{guidance} guides each sample towards its class label, but the run has none; set sampling.labels (one per sample) or sampling.labelsInRows",
            "$.sampling.labels");
}
