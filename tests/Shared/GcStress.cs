using System.Runtime.CompilerServices;

namespace Pipeline.Tests.Shared;

/// <summary>
/// Stress mode for native-memory races (docs/development.md): with PIPELINE_GC_STRESS=1 a background thread forces full
/// collections and runs the finalizers in a loop while the tests run, so a native object (a TorchSharp Scalar or
/// tensor) that becomes unreachable while libtorch still reads it is freed at once instead of rarely. Combine it with a
/// small gen0 budget (DOTNET_GCgen0size) as scripts/stress.sh does.
/// </summary>
static class GcStress
{
    [ModuleInitializer]
    internal static void Start()
    {
        if (Environment.GetEnvironmentVariable("PIPELINE_GC_STRESS") != "1") return;
        var thread = new Thread(() =>
        {
            while (true)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Thread.Yield();
            }
        }) { IsBackground = true, Name = "gc-stress" };
        thread.Start();
    }
}
