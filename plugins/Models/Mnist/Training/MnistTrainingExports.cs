using System.Composition;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Data;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Training;

namespace Pipeline.Plugins.Models.Mnist.Training;

/// <summary>
/// What the host's <c>train</c> command needs from this plugin, through the training contract of Abstractions
/// (<see cref="ITrainableNetwork"/>, <see cref="ITrainingDataset"/>, <see cref="ITrainingCheckpointReader"/>):
/// fresh networks with their checkpoint writer, the digits, and the reader of a distillation teacher.
/// </summary>
public sealed class MnistTrainingExports
{
    [Export(typeof(ITrainableNetwork))]
    public ITrainableNetwork Unet => new MnistTrainableNetwork(MnistNetworks.Unet, ["unet"], TrainingRoles.Denoiser,
        "class-conditional UNet predicting eps on a discrete schedule (null label for classifier-free guidance)", MnistNetworks.Unet);

    [Export(typeof(ITrainableNetwork))]
    public ITrainableNetwork NoisyClassifier => new MnistTrainableNetwork(MnistNetworks.NoisyClassifier, ["noisy-classifier"], TrainingRoles.TimeClassifier,
        "time-conditioned classifier p(label | x_t, t) for classifier guidance", MnistNetworks.NoisyClassifier);

    [Export(typeof(ITrainableNetwork))]
    public ITrainableNetwork LeNet => new MnistTrainableNetwork(MnistNetworks.LeNet, ["lenet"], TrainingRoles.Classifier,
        "LeNet-style classifier of clean digits; its penultimate features define mnist-fid", MnistNetworks.LeNet);

    [Export(typeof(ITrainableNetwork))]
    public ITrainableNetwork Ddgan => new MnistTrainableNetwork(MnistNetworks.Ddgan, ["ddgan"], TrainingRoles.Ddgan,
        "class-conditional Denoising Diffusion GAN: generator x_0 = G(x_t, z, t, label) and discriminator D(x_(t-1), x_t, t, label) on a few-step chain",
        MnistNetworks.Ddgan);

    [Export(typeof(ITrainableNetwork))]
    public ITrainableNetwork ProgressiveDistillation => new MnistTrainableNetwork("mnist-pd", ["pd", "progressive-distillation"], TrainingRoles.ProgressiveDistillation,
        "progressive distillation (Salimans and Ho 2022) of an mnist-unet teacher into a v-predicting UNet student of few DDIM steps", MnistNetworks.Unet);

    [Export(typeof(ITrainableNetwork))]
    public ITrainableNetwork Consistency => new MnistTrainableNetwork("mnist-consistency", ["consistency"], TrainingRoles.Consistency,
        "consistency-model student (Song et al. 2023): a UNet whose eps output is combined as f(x, t) = c_skip x + c_out F; distilled from a teacher UNet checkpoint; sampled as model mnist-consistency",
        MnistNetworks.Unet);

    /// <summary>Reads a teacher UNet checkpoint for progressive distillation.</summary>
    [Export(typeof(ITrainingCheckpointReader))]
    public ITrainingCheckpointReader Teacher => new MnistTeacherReader();

    [Export(typeof(ITrainingDataset))]
    public ITrainingDataset Digits => new MnistTrainingDataset();

    sealed record MnistTrainableNetwork(string Name, IReadOnlyList<string> Aliases, string Role, string Summary, string Network) : ITrainableNetwork
    {
        public TrainableNetworkInstance Create(string? architecture)
        {
            var network = MnistNetworks.Create(Network, architecture, $"{Network} architecture");
            var resolved = MnistNetworks.ArchitectureOf(network).ToJsonString();
            return new TrainableNetworkInstance(network, resolved, (path, ema, training) =>
                MnistCheckpoint.Save(network, path, ema, training is null ? null : System.Text.Json.Nodes.JsonNode.Parse(training)));
        }
    }

    sealed class MnistTeacherReader : ITrainingCheckpointReader
    {
        public string Name => "mnist-pd";

        public TrainedCheckpoint Read(string path)
        {
            var network = MnistCheckpoint.Load(path, out var info, MnistNetworks.Unet);
            return new TrainedCheckpoint(network, info.Architecture.ToJsonString(), info.Training?.ToJsonString());
        }
    }

    sealed class MnistTrainingDataset : ITrainingDataset
    {
        public string Name => "mnist";

        public string Summary => "MNIST digits in [-1, 1]; the last 100 of each class are held out";

        public TrainingData Load(string? folder, string baseDirectory)
        {
            using var digits = MnistDigits.Load(folder, baseDirectory);
            var (trainImages, trainLabels) = digits.Train();
            var (heldImages, heldLabels) = digits.HeldOut();
            return new TrainingData(trainImages, trainLabels, heldImages, heldLabels);
        }
    }
}
