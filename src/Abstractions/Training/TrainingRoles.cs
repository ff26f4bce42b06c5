namespace Pipeline.Training;

/// <summary>The ways the host trains a network (<see cref="ITrainableNetwork.Role"/>).</summary>
public static class TrainingRoles
{
    /// <summary>forward(x, step index, labels) = eps, trained by denoising.</summary>
    public const string Denoiser = "denoiser";

    /// <summary>forward(x, step index) = logits, trained on noisy data for classifier guidance.</summary>
    public const string TimeClassifier = "time-classifier";

    /// <summary>forward(x) = logits, trained on clean data.</summary>
    public const string Classifier = "classifier";

    /// <summary>A Denoising Diffusion GAN's generator and discriminator.</summary>
    public const string Ddgan = "ddgan";

    /// <summary>A student distilled from a denoiser teacher by progressive distillation.</summary>
    public const string ProgressiveDistillation = "progressive-distillation";

    /// <summary>A denoiser's network distilled into a consistency function.</summary>
    public const string Consistency = "consistency";
}
