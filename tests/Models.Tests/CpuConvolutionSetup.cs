using System.Runtime.CompilerServices;

namespace Pipeline.Tests;

/// <summary>
/// These tests build networks without the host, so they make the host's choice of CPU convolutions themselves
/// (Pipeline.Native.CpuConvolutionBackend: oneDNN's returned NaN here, e.g. from a new UNet's zero-weight output layer).
/// </summary>
static class CpuConvolutionSetup
{
    [ModuleInitializer]
    internal static void Apply() => Pipeline.Native.CpuConvolutionBackend.ApplySetting();
}
