using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Plugins.Solvers.Karras;

/// <summary>The ancestral split of k-diffusion's sample_dpm_2_ancestral (its eta and s_noise).</summary>
public sealed class Dpm2AncestralOptions
{
    [Description("eta: scale of the ancestral noise, rho_up = eta rho_{i+1} sqrt(1 - rho_{i+1}^2 / rho_i^2); 1 = the posterior of the VE chain, 0 = deterministic 'dpm2'. " +
                 "At most 1, so that every step into rho > 0 keeps rho_down > 0")]
    [Range(0.0, 1.0)]
    public double Eta { get; set; } = 1.0;

    [Description("S_noise: scale of the added noise")]
    [Range(0.0, double.MaxValue)]
    public double SNoise { get; set; } = 1.0;
}
