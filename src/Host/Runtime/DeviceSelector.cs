using System.Text.RegularExpressions;
using Pipeline.Options;
using TorchSharp;

namespace Pipeline.Host.Runtime;

/// <summary>Turns "auto" | "cpu" | "cuda" | "cuda:N" into a TorchSharp device, with a clear error when CUDA is missing.</summary>
public static partial class DeviceSelector
{
    public static bool IsValidSpec(string spec) => spec is "auto" or "cpu" or "cuda" || CudaIndex().IsMatch(spec);

    public static bool CudaAvailable()
    {
        NativeBackend.Initialize();
        try
        {
            return torch.TryInitializeDeviceType(DeviceType.CUDA) && torch.cuda.is_available();
        }
        catch (Exception)
        {
            return false;
        }
    }

    public static torch.Device Resolve(string spec, string path = "$.sampling.device")
    {
        NativeBackend.EnsureUsable();
        if (spec == "cpu") return torch.CPU;
        if (spec == "auto") return CudaAvailable() ? new torch.Device(DeviceType.CUDA, 0) : torch.CPU;
        var m = CudaIndex().Match(spec);
        if (spec != "cuda" && !m.Success)
            throw new PipelineInputException($"{path}: device '{spec}' is not one of \"auto\", \"cpu\", \"cuda\", \"cuda:N\"", path);
        int index = m.Success ? int.Parse(m.Groups[1].Value) : 0;
        if (!CudaAvailable())
        {
            string why = NativeBackend.Problem ?? $"the loaded libtorch ({NativeBackend.Source}) has no CUDA support or no GPU is visible";
            throw new PipelineInputException(
                $"{path}: CUDA was asked for but is not available: {why}. Use \"cpu\" or \"auto\", or run a build made with -p:ExternalLibTorch=true with {NativeBackend.EnvironmentVariable} set to a CUDA libtorch (see README, 'CUDA').", path);
        }
        int count = torch.cuda.device_count();
        if (index >= count)
            throw new PipelineInputException($"{path}: device '{spec}' does not exist; this machine has {count} CUDA device(s) (cuda:0..cuda:{count - 1})", path);
        return new torch.Device(DeviceType.CUDA, index);
    }

    [GeneratedRegex(@"^cuda:(\d+)$")] private static partial Regex CudaIndex();
}
