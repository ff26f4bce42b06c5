using System.Runtime.CompilerServices;

namespace Pipeline.Tests.Classic;

static class SingleThreadedTorch
{
    /// <summary>
    /// One intra-op thread for this test assembly, as tests/Models.Tests does: xunit runs test classes in parallel, and
    /// on a small shared machine libtorch's OpenMP threads spin against each other on these small tensors (the classic
    /// solver tests ran several times slower with the default thread count).
    /// </summary>
    [ModuleInitializer]
    internal static void Apply() => TorchSharp.torch.set_num_threads(1);
}
