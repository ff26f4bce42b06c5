using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Pipeline.Native;

/// <summary>
/// Which implementation libtorch uses for convolutions on the CPU while networks are trained. libtorch 2.10's oneDNN
/// 3.7.1 convolutions (its default) were measured returning NaN gradients at random on an AMD EPYC with AVX-512: the
/// input gradient of a 16 -> 8 channel 3x3 convolution with all-zero weights, which must be exactly 0, held NaN in 2 to 5
/// of 100 backward passes (with ONEDNN_MAX_CPU_ISA=AVX2 too, then in 8 -> 2 and 8 -> 1 channel convolutions), and every
/// UNet training run stopped with a NaN loss at its first step. With oneDNN off, libtorch computes convolutions with its
/// own kernels (im2col and GEMM): no NaN in the same check. Forward passes can be hit too (a new UNet, whose output
/// convolution has zero weights, returned NaN instead of 0), so libtorch's own kernels are the default for every CPU
/// convolution, although oneDNN's forward passes are about 4.5 times faster here (the setting "onednn" keeps them;
/// training still runs without them inside a <see cref="ForTraining"/> scope). TorchSharp has no switch for this; libtorch's own
/// at::Context::setUserEnabledMkldnn (the flag behind PyTorch's torch.backends.mkldnn.enabled) is called directly. The
/// flag is process-wide. CUDA convolutions are not affected.
/// </summary>
public static class CpuConvolutionBackend
{
    /// <summary>"native" (the default: libtorch's own kernels), "onednn" (oneDNN except while training) or "onednn-always".</summary>
    public const string EnvironmentVariable = "PIPELINE_CPU_CONVOLUTION";

    [DllImport("torch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("torch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("torch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledMkldnn(IntPtr context);

    static readonly object Gate = new();
    static int trainingScopes;
    static bool? enabledBefore;

    /// <summary>"native" or "onednn": what CPU convolutions use now, or null where libtorch's flag cannot be reached.</summary>
    public static string? Current
    {
        get
        {
            try { return Touch() && UserEnabledMkldnn(GlobalContext()) ? "onednn" : "native"; }
            catch (Exception e) { Problem = Describe(e); return null; }
        }
    }

    /// <summary>Why the choice could not be made (a libtorch without the symbol), if so.</summary>
    public static string? Problem { get; private set; }

    static string Setting => (Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "native").Trim().ToLowerInvariant();

    /// <summary>At the start of a process: oneDNN for the settings "onednn" and "onednn-always", else libtorch's own kernels.</summary>
    public static void ApplySetting() => Set(Setting is "onednn" or "onednn-always");

    /// <summary>
    /// Training convolutions run on libtorch's own kernels until the scope is disposed (scopes nest and may overlap
    /// across threads; the last one restores the previous choice). With the setting "onednn-always" nothing changes.
    /// </summary>
    public static IDisposable ForTraining()
    {
        if (Setting == "onednn-always") return new Scope(false);
        lock (Gate)
        {
            if (trainingScopes++ == 0)
            {
                try { enabledBefore = Touch() && UserEnabledMkldnn(GlobalContext()); Set(false); }
                catch (Exception e) { Problem = Describe(e); enabledBefore = null; }
            }
        }
        return new Scope(true);
    }

    static void Set(bool oneDnn)
    {
        try { if (Touch()) SetUserEnabledMkldnn(GlobalContext(), oneDnn); }
        catch (Exception e) { Problem = Describe(e); }
    }

    // TorchSharp loads libtorch on first use; the symbols below resolve against that copy.
    static bool Touch()
    {
        InitializeDeviceType(TorchSharp.DeviceType.CPU);
        return true;
    }

    static string Describe(Exception e) => $"could not choose libtorch's CPU convolutions ({e.Message}); its default (oneDNN) stays in use";

    sealed class Scope(bool counted) : IDisposable
    {
        bool disposed;

        public void Dispose()
        {
            if (disposed || !counted) return;
            disposed = true;
            lock (Gate)
            {
                if (--trainingScopes == 0 && enabledBefore is bool before) Set(before);
            }
        }
    }
}
