using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// A Denoising Diffusion GAN for MNIST (Xiao et al. 2022): the generator that sampling uses and the discriminator that
/// training needs, kept together so one checkpoint can resume or fine-tune either.
/// </summary>
public sealed class Ddgan : Module
{
    public Ddgan(DdganConfig config) : base(nameof(Ddgan))
    {
        Config = config;
        generator = new DdganGenerator(config);
        discriminator = new DdganDiscriminator(config);
        RegisterComponents();
    }

    readonly DdganGenerator generator;
    readonly DdganDiscriminator discriminator;

    public DdganConfig Config { get; }

    public DdganGenerator Generator => generator;

    public DdganDiscriminator Discriminator => discriminator;

    /// <summary>Loads a checkpoint written by <c>train</c> (see <see cref="Checkpoints.MnistCheckpoint"/>), in eval mode.</summary>
    public static Ddgan Load(string path, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        Checkpoints.MnistCheckpoint.Load<Ddgan>(path, MnistNetworks.Ddgan, device, dtype);
}
