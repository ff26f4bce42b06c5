using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>
/// Host service available to every plugin constructor: where tensors live, their floating type, and the
/// folder relative file names in options are resolved against (the definition's folder).
/// </summary>
public sealed record RunEnvironment(torch.Device Device, torch.ScalarType DType, string BaseDirectory)
{
    public static RunEnvironment Cpu { get; } = new(torch.CPU, torch.ScalarType.Float32, Directory.GetCurrentDirectory());

    /// <summary>Absolute path of a file named in options.</summary>
    public string Resolve(string path) => Path.GetFullPath(path, BaseDirectory);
}
