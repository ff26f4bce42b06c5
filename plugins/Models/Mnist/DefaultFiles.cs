namespace Pipeline.Plugins.Models.Mnist;

/// <summary>
/// Where the MNIST plugins look for files named by relative paths (the shipped checkpoints under
/// <c>models/</c>, the data under <c>.cache/mnist</c>): the definition's folder and each folder above it, then
/// the current folder and those above it, then the host's folder and those above it. The repository's
/// examples, a definition anywhere inside the repository, and a host run from its build folder all find the
/// repository's copies this way.
/// </summary>
public static class DefaultFiles
{
    public const string UnetCheckpoint = "models/mnist-unet.ckpt";
    public const string NoisyClassifierCheckpoint = "models/mnist-noisy-classifier.ckpt";
    public const string LeNetCheckpoint = "models/mnist-lenet.ckpt";
    public const string DdganCheckpoint = "models/mnist-ddgan.ckpt";
    public const string ConsistencyCheckpoint = "models/mnist-consistency.ckpt";
    public const string DataFolder = ".cache/mnist";

    /// <summary>The 1000 held-out digits alone (images.npy, labels.npy), shipped so the metric needs no download.</summary>
    public const string HeldOutFolder = "models/mnist-heldout";

    /// <summary>The folders searched for a relative path, nearest first.</summary>
    public static IEnumerable<string> SearchFolders(string baseDirectory) => global::Pipeline.Options.FileLocation.SearchFolders(baseDirectory);

    /// <summary>
    /// An absolute path as it is; a relative one found by <see cref="SearchFolders"/>; when none exists, the
    /// path under <paramref name="baseDirectory"/> (so the error names where it was expected).
    /// </summary>
    public static string Resolve(string path, string baseDirectory, bool directory = false) =>
        global::Pipeline.Options.FileLocation.Search(path, baseDirectory, directory);
}
