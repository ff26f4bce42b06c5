using System.Runtime.CompilerServices;

namespace Pipeline.Tests;

static class TestSetup
{
    /// <summary>
    /// One intra-op thread: xunit already runs test classes in parallel, and on a small shared machine
    /// libtorch's OpenMP threads spin against each other (observed: 10-30x slower small ops with 2 threads).
    /// </summary>
    [ModuleInitializer]
    internal static void SingleThreaded() => TorchSharp.torch.set_num_threads(1);
}
