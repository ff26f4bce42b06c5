using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pipeline.Host.Runtime;

/// <summary>
/// Chooses the native libtorch before TorchSharp first loads one. A normal build carries TorchSharp-cpu's
/// libtorch beside the host and uses it. A build made with -p:ExternalLibTorch=true carries none; it then
/// loads the libtorch named by PIPELINE_LIBTORCH (a folder such as PyTorch's torch/lib), or finds an
/// installed PyTorch through python3, which is how CUDA is reached on Linux.
/// </summary>
public static class NativeBackend
{
    public const string EnvironmentVariable = "PIPELINE_LIBTORCH";

    static readonly object Gate = new();
    static bool initialized;

    /// <summary>Where libtorch was loaded from ("bundled" or a folder), for reports.</summary>
    public static string Source { get; private set; } = "bundled";

    /// <summary>Why an external libtorch could not be loaded, if it could not.</summary>
    public static string? Problem { get; private set; }

    public static void Initialize()
    {
        lock (Gate)
        {
            if (initialized) return;
            initialized = true;
            Choose();
            // After the choice of libtorch: PIPELINE_CPU_CONVOLUTION, where it fixes the CPU convolutions (CpuConvolutionBackend;
            // a libtorch that cannot load at all still fails at its first use, as before).
            if (Problem is null) Pipeline.Native.CpuConvolutionBackend.ApplySetting();
        }
    }

    static void Choose()
    {
        string? folder = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(folder))
        {
            if (HasBundledLibTorch()) return;
            folder = FindPyTorch();
            if (folder is null)
            {
                Problem = $"this build carries no libtorch and none was found: set {EnvironmentVariable} to a libtorch lib folder (for PyTorch: python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))' + /lib)";
                return;
            }
        }
        Load(folder);
    }

    /// <summary>Fails with the reason when no libtorch can be used (a build without libtorch and none found).</summary>
    public static void EnsureUsable()
    {
        Initialize();
        if (Problem is not null && Source == "bundled")
            throw new InvalidOperationException(Problem);
    }

    static void Load(string folder)
    {
        // Load by absolute path so every later load by name binds to these copies.
        string[] order = OperatingSystem.IsWindows()
            ? ["c10.dll", "torch_cpu.dll", "c10_cuda.dll", "torch_cuda.dll", "torch.dll"]
            : ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];
        var loaded = new List<string>();
        foreach (var name in order)
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out _)) loaded.Add(name);
        }
        if (loaded.Count == 0)
            Problem = $"{EnvironmentVariable}='{folder}' holds no loadable libtorch ({string.Join(", ", order)})";
        else
            Source = folder;
    }

    static bool HasBundledLibTorch()
    {
        var baseDir = AppContext.BaseDirectory;
        string lib = OperatingSystem.IsWindows() ? "torch_cpu.dll" : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
        return File.Exists(Path.Combine(baseDir, lib))
            || Directory.Exists(Path.Combine(baseDir, "runtimes"))
               && Directory.EnumerateFiles(Path.Combine(baseDir, "runtimes"), lib, SearchOption.AllDirectories).Any();
    }

    static string? FindPyTorch()
    {
        try
        {
            var psi = new ProcessStartInfo("python3", ["-c", "import torch, os; print(os.path.dirname(torch.__file__))"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = Process.Start(psi);
            if (p is null) return null;
            string output = p.StandardOutput.ReadToEnd().Trim();
            if (!p.WaitForExit(30_000) || p.ExitCode != 0) return null;
            var lib = Path.Combine(output, "lib");
            return Directory.Exists(lib) ? lib : null;
        }
        catch (Exception)
        {
            return null;
        }
    }
}
