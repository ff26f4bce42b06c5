using System.Runtime.CompilerServices;

namespace Pipeline.Tests.TestSupport;

static class TestSetup
{
    /// <summary>
    /// One intra-op thread: xunit runs test classes in parallel, and on a small shared machine libtorch's OpenMP
    /// threads spin against each other (see tests/Models.Tests).
    /// </summary>
    [ModuleInitializer]
    internal static void SingleThreaded() => TorchSharp.torch.set_num_threads(1);
}
