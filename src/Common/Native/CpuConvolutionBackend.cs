using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Pipeline.Native;

/// <summary>
/// Which implementation libtorch uses for convolutions on the CPU. libtorch 2.10's oneDNN 3.7.1 convolutions
/// (the default) were measured returning NaN gradients at random on an AMD EPYC with AVX-512: the input gradient of a
/// 16 -> 8 channel 3x3 convolution with all-zero weights, which must be exactly 0, held NaN in 2 of 100 backward
/// passes (reproduced with ONEDNN_MAX_CPU_ISA=AVX2 too, in 8 -> 2 and 8 -> 1 channel convolutions), and every UNet
/// training run stopped with a NaN loss at its first step. With oneDNN switched off libtorch computes the same
/// convolutions with its own kernels (im2col and GEMM): 0 of 100 in the same check. TorchSharp has no switch for it,
/// so this calls libtorch's own at::Context::setUserEnabledMkldnn (the flag behind PyTorch's
/// torch.backends.mkldnn.enabled). CUDA convolutions are not affected.
/// </summary>
public static class CpuConvolutionBackend
{
    /// <summary>Set to "onednn" to keep libtorch's default (oneDNN) CPU convolutions.</summary>
    public const string EnvironmentVariable = "PIPELINE_CPU_CONVOLUTION";

    [DllImport("torch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("torch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("torch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledMkldnn(IntPtr context);

    /// <summary>"native" or "onednn" once <see cref="Apply"/> ran, else null.</summary>
    public static string? Current { get; private set; }

    /// <summary>Why the choice could not be made (an older or a custom libtorch without the symbol), if so.</summary>
    public static string? Problem { get; private set; }

    /// <summary>
    /// Makes libtorch's own CPU convolution kernels the process-wide choice, unless <see cref="EnvironmentVariable"/>
    /// says "onednn". Loads libtorch through TorchSharp first, so call it after any choice of libtorch was made.
    /// </summary>
    public static void Apply()
    {
        bool keepOneDnn = string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "onednn", StringComparison.OrdinalIgnoreCase);
        try
        {
            InitializeDeviceType(TorchSharp.DeviceType.CPU);
            var context = GlobalContext();
            SetUserEnabledMkldnn(context, keepOneDnn);
            Current = UserEnabledMkldnn(context) ? "onednn" : "native";
        }
        catch (Exception e)
        {
            Problem = $"could not choose libtorch's CPU convolutions ({e.Message}); oneDNN stays in use";
        }
    }
}
