using System.Composition;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Data;
using Pipeline.Plugins.Models.Mnist.Networks;
using TorchSharp;

namespace Pipeline.Plugins.Models.Mnist.Training;

/// <summary>
/// What the host's <c>train</c> command needs from this plugin: fresh networks, their checkpoint writer, and
/// the training data. Abstractions has no training contract yet, so these are MEF exports typed with shared
/// types only (TorchSharp and the base library) under fixed contract names; the host finds them in the
/// plugin assemblies it loaded. Metadata: Name, Aliases (comma-separated), Summary, and for networks Role:
/// <c>denoiser</c> (forward(x, step index, labels) = eps), <c>time-classifier</c> (forward(x, step index) = logits)
/// or <c>classifier</c> (forward(x) = logits) or <c>ddgan</c> (a generator and a discriminator, see the host's AdversarialTrainer)
/// or <c>consistency</c> (a denoiser's network distilled into a consistency function, see the host's ConsistencyTrainer).
/// </summary>
public sealed class MnistTrainingExports
{
    /// <summary>Contract of network factories: architecture JSON (null = defaults) -> (network, resolved architecture JSON, save(path, ema, training JSON)).</summary>
    public const string NetworkContract = "pipeline.training.network";

    /// <summary>Contract of data sets: (folder or null for the default, base folder) -> (train images, train labels, held-out images, held-out labels).</summary>
    public const string DatasetContract = "pipeline.training.dataset";

    [Export(NetworkContract, typeof(Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)>))]
    [ExportMetadata("Name", MnistNetworks.Unet)]
    [ExportMetadata("Aliases", "unet")]
    [ExportMetadata("Role", "denoiser")]
    [ExportMetadata("Summary", "class-conditional UNet predicting eps on a discrete schedule (null label for classifier-free guidance)")]
    public Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)> Unet => json => Create(MnistNetworks.Unet, json);

    [Export(NetworkContract, typeof(Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)>))]
    [ExportMetadata("Name", MnistNetworks.NoisyClassifier)]
    [ExportMetadata("Aliases", "noisy-classifier")]
    [ExportMetadata("Role", "time-classifier")]
    [ExportMetadata("Summary", "time-conditioned classifier p(label | x_t, t) for classifier guidance")]
    public Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)> NoisyClassifier => json => Create(MnistNetworks.NoisyClassifier, json);

    [Export(NetworkContract, typeof(Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)>))]
    [ExportMetadata("Name", MnistNetworks.LeNet)]
    [ExportMetadata("Aliases", "lenet")]
    [ExportMetadata("Role", "classifier")]
    [ExportMetadata("Summary", "LeNet-style classifier of clean digits; its penultimate features define mnist-fid")]
    public Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)> LeNet => json => Create(MnistNetworks.LeNet, json);

    [Export(NetworkContract, typeof(Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)>))]
    [ExportMetadata("Name", MnistNetworks.Ddgan)]
    [ExportMetadata("Aliases", "ddgan")]
    [ExportMetadata("Role", "ddgan")]
    [ExportMetadata("Summary", "class-conditional Denoising Diffusion GAN: generator x_0 = G(x_t, z, t, label) and discriminator D(x_(t-1), x_t, t, label) on a few-step chain")]
    public Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)> Ddgan => json => Create(MnistNetworks.Ddgan, json);

    [Export(NetworkContract, typeof(Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)>))]
    [ExportMetadata("Name", "mnist-pd")]
    [ExportMetadata("Aliases", "pd,progressive-distillation")]
    [ExportMetadata("Role", "progressive-distillation")]
    [ExportMetadata("Summary", "progressive distillation (Salimans and Ho 2022) of an mnist-unet teacher into a v-predicting UNet student of few DDIM steps")]
    public Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)> ProgressiveDistillation => json => Create(MnistNetworks.Unet, json);

    /// <summary>Contract of checkpoint readers: path -> (network in eval mode on the CPU, architecture JSON, training JSON or null).</summary>
    public const string CheckpointContract = "pipeline.training.checkpoint";

    [Export(CheckpointContract, typeof(Func<string, (torch.nn.Module, string, string?)>))]
    [ExportMetadata("Name", "mnist-pd")]
    public Func<string, (torch.nn.Module, string, string?)> Teacher => path =>
    {
        var network = MnistCheckpoint.Load(path, out var info, MnistNetworks.Unet);
        return (network, info.Architecture.ToJsonString(), info.Training?.ToJsonString());
    };

    [Export(NetworkContract, typeof(Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)>))]
    [ExportMetadata("Name", "mnist-consistency")]
    [ExportMetadata("Aliases", "consistency")]
    [ExportMetadata("Role", "consistency")]
    [ExportMetadata("Summary", "consistency-model student (Song et al. 2023): a UNet whose eps output is combined as f(x, t) = c_skip x + c_out F; distilled from a teacher UNet checkpoint; sampled as model mnist-consistency")]
    public Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)> Consistency => json => Create(MnistNetworks.Unet, json);

    [Export(DatasetContract, typeof(Func<string?, string, (torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor)>))]
    [ExportMetadata("Name", "mnist")]
    [ExportMetadata("Aliases", "")]
    [ExportMetadata("Summary", "MNIST digits in [-1, 1]; the last 100 of each class are held out")]
    public Func<string?, string, (torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor)> Digits => (folder, baseDirectory) =>
    {
        using var digits = MnistDigits.Load(folder, baseDirectory);
        var (trainImages, trainLabels) = digits.Train();
        var (heldImages, heldLabels) = digits.HeldOut();
        return (trainImages, trainLabels, heldImages, heldLabels);
    };

    static (torch.nn.Module, string, Action<string, bool, string?>) Create(string name, string? architecture)
    {
        var network = MnistNetworks.Create(name, architecture, $"{name} architecture");
        var resolved = MnistNetworks.ArchitectureOf(network).ToJsonString();
        return (network, resolved, (path, ema, training) =>
            MnistCheckpoint.Save(network, path, ema, training is null ? null : System.Text.Json.Nodes.JsonNode.Parse(training)));
    }
}
