using TorchSharp;

namespace Pipeline.Models;

/// <summary>
/// A model whose prediction also depends on a latent code z ~ N(0, I) drawn afresh for every evaluation: a Denoising
/// Diffusion GAN generator x_0 = G(x_t, z, t) (Xiao et al. 2022), which makes each reverse step a sample of a
/// multimodal p(x_0 | x_t) rather than its mean. Only solvers that draw z (<c>ddgan</c>) can sample it, and only on
/// the chain it was trained for.
/// </summary>
public interface ILatentModel : IDiffusionModel
{
    /// <summary>Width Z of the latent code.</summary>
    int LatentSize { get; }

    /// <summary>
    /// alpha_bar at the steps of the chain the generator was trained on, k = 1 .. T (alpha_bar_0 = 1 is clean data):
    /// the step that leads from x_k to x_(k-1) sits at time k / T of a discrete schedule with these values.
    /// </summary>
    IReadOnlyList<double> TrainedAlphasCumprod { get; }

    /// <summary>The raw prediction for latent codes <paramref name="latent"/> [B, Z].</summary>
    torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels, torch.Tensor latent);
}
