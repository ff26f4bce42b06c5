using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeline.Host.Training;

public enum LearningRateSchedule { Constant, Cosine }

/// <summary>
/// The options of a training file (beside them: "name", "architecture" for the network, "noiseSchedule" for
/// networks that see noisy inputs). Bound like plugin options: camelCase keys, defaults, ranges.
/// </summary>
public sealed class TrainingSettings : IValidatableObject
{
    [Required, Description("the network to train, by name: mnist-unet, mnist-noisy-classifier, mnist-lenet (or a plugin's own)")]
    public string Network { get; set; } = null!;

    [Description("data set, by name")]
    public string Dataset { get; set; } = "mnist";

    [Description("data folder; null = the data set's default (.cache/mnist, searched upwards from this file's folder)")]
    public string? Data { get; set; }

    [Description("train on the first N training examples only (quick checks); null = all")]
    [Range(1, int.MaxValue)]
    public int? Subset { get; set; }

    [Description("optimizer steps in total"), Range(1, 100_000_000)]
    public int Steps { get; set; } = 10_000;

    [Description("examples per step"), Range(1, 65_536)]
    public int BatchSize { get; set; } = 128;

    [Description("AdamW learning rate after warm-up"), Range(1e-8, 1.0)]
    public double LearningRate { get; set; } = 2e-4;

    [Description("steps of linear learning-rate warm-up from 0"), Range(0, 100_000_000)]
    public int WarmupSteps { get; set; }

    [Description("after warm-up: constant, or cosine decay to 0 at 'steps'")]
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Constant;

    [Description("AdamW decoupled weight decay"), Range(0.0, 1.0)]
    public double WeightDecay { get; set; }

    [Description("clip the gradient's global norm to this; 0 = no clipping"), Range(0.0, 1e6)]
    public double GradientClip { get; set; } = 1.0;

    [Description("Adam's beta1; null = 0.9, or 0.5 for a GAN (mnist-ddgan), as DDGAN trains"), Range(0.0, 0.9999)]
    public double? AdamBeta1 { get; set; }

    [Description("Adam's beta2; null = 0.999, or 0.9 for a GAN"), Range(0.0, 0.999999)]
    public double? AdamBeta2 { get; set; }

    [Description("GAN: the discriminator's learning rate; null = learningRate x 1.25 / 1.6 (DDGAN's ratio)"), Range(1e-8, 1.0)]
    public double? DiscriminatorLearningRate { get; set; }

    [Description("GAN: weight gamma of the R1 penalty gamma/2 E||grad_x D(x real)||^2 (Mescheder et al. 2018); 0 = none"), Range(0.0, 1e4)]
    public double R1Gamma { get; set; } = 0.02;

    [Description("GAN: apply the R1 penalty every N discriminator steps (lazy regularisation)"), Range(1, 1_000_000)]
    public int R1Every { get; set; } = 15;

    [Description("consistency distillation: the teacher UNet checkpoint (eps prediction on this noiseSchedule) the student starts from and whose ODE step it learns; relative to this file's folder and the folders above it; null = models/mnist-unet.ckpt")]
    public string? Teacher { get; set; }

    [Description("consistency: N, the boundaries t_min = t_1 < ... < t_N = t_max of the grid (Karras rho = 7 in sigma / alpha; Song et al. 2023, section 4)"), Range(2, 100_000)]
    public int ConsistencySteps { get; set; } = 18;

    [Description("consistency distillation: the teacher's ODE step from t_(n+1) to t_n: 'ddim' (first-order exponential step, one evaluation) or 'heun' (two)")]
    public ConsistencyOdeStep TeacherSolver { get; set; } = ConsistencyOdeStep.Heun;

    [Description("consistency: the distance between student and target outputs: 'l2' (squared, per value) or 'pseudo-huber' (c = 0.00054 sqrt(d); Song and Dhariwal 2023)")]
    public ConsistencyDistance ConsistencyDistance { get; set; } = ConsistencyDistance.PseudoHuber;

    [Description("consistency distillation: decay mu of the target network theta- <- mu theta- + (1 - mu) theta (Song et al. 2023, Algorithm 2)"), Range(0.0, 0.999999)]
    public double TargetDecay { get; set; } = 0.95;

    [Description("decay of the exponential moving average of the weights that checkpoints hold; 0 = no average (checkpoints hold the raw weights)"), Range(0.0, 0.999999)]
    public double EmaDecay { get; set; }

    [Description("denoisers: probability of replacing a label by the null label, which trains the unconditional model of classifier-free guidance"), Range(0.0, 1.0)]
    public double LabelDropout { get; set; } = 0.1;

    [Description("classifiers: random translation of each training image by up to this many pixels"), Range(0, 8)]
    public int Shift { get; set; }

    [Description("classifiers: random rotation of each training image by up to this many degrees"), Range(0.0, 45.0)]
    public double Rotation { get; set; }

    [Description("seed of initialisation, data order, noise, times and augmentation; a run is reproducible from it")]
    public long Seed { get; set; }

    [Description("\"auto\" (CUDA when available, else CPU), \"cpu\", \"cuda\" or \"cuda:N\"")]
    public string Device { get; set; } = "auto";

    [Description("CPU threads for libtorch; null = libtorch's default"), Range(1, 1024)]
    public int? Threads { get; set; }

    [Description("write a checkpoint (and the resumable state) every N steps"), Range(1, 100_000_000)]
    public int CheckpointEvery { get; set; } = 1000;

    [Description("report the mean loss every N steps"), Range(1, 100_000_000)]
    public int LogEvery { get; set; } = 50;

    [Description("output folder (relative to this file's folder); null = runs/train/<name> in the current folder")]
    public string? Output { get; set; }

    [Description("stop cleanly after this many minutes, saving everything; running again continues"), Range(0.0, 1e7)]
    public double? MaxMinutes { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WarmupSteps > Steps)
            yield return new($"warmupSteps ({WarmupSteps}) is more than steps ({Steps})", [nameof(WarmupSteps)]);
        if (!Runtime.DeviceSelector.IsValidSpec(Device))
            yield return new($"device '{Device}' is not one of \"auto\", \"cpu\", \"cuda\", \"cuda:N\"", [nameof(Device)]);
        if (string.IsNullOrWhiteSpace(Network))
            yield return new("network: name the network to train", [nameof(Network)]);
    }

    /// <summary>Options that may change between a run and its resumption without changing what is trained.</summary>
    public static readonly IReadOnlySet<string> Resumable = new HashSet<string>(StringComparer.Ordinal)
    {
        "steps", "checkpointEvery", "logEvery", "output", "maxMinutes", "device", "threads", "data",
    };
}
