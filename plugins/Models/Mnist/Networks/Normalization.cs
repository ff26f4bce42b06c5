using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>Normalisation layers with their affine parameters set to the identity.</summary>
public static class Normalization
{
    /// <summary>
    /// GroupNorm (Wu and He 2018) with weight 1 and bias 0. TorchSharp 0.107's nn.GroupNorm leaves both
    /// uninitialised (whatever the allocator held, NaN included), so they are set here.
    /// </summary>
    public static GroupNorm Group(int groups, int channels)
    {
        var norm = nn.GroupNorm(groups, channels);
        using (no_grad())
        {
            nn.init.ones_(norm.weight!);
            nn.init.zeros_(norm.bias!);
        }
        return norm;
    }
}
