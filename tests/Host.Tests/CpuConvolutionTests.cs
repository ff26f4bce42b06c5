using Pipeline.Host;
using Pipeline.Native;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Training runs its CPU convolutions on libtorch's own kernels (CpuConvolutionBackend): with oneDNN's, the input
/// gradient of a zero-weight convolution held NaN in 2 to 5 of 100 backward passes on an AMD EPYC with AVX-512, and every
/// UNet training test stopped at its first step with a NaN loss. The host uses libtorch's own kernels for every convolution. In the collection that runs
/// alone, because the choice is process-wide.
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class CpuConvolutionTests
{
    [Fact]
    public void TheHostUsesLibTorchsOwnKernelsAndTrainingScopesKeepThem()
    {
        _ = new PipelineHost();
        Assert.Equal("native", CpuConvolutionBackend.Current);
        using (CpuConvolutionBackend.ForTraining())
        {
            Assert.Equal("native", CpuConvolutionBackend.Current);
            using (CpuConvolutionBackend.ForTraining()) Assert.Equal("native", CpuConvolutionBackend.Current);
            Assert.Equal("native", CpuConvolutionBackend.Current);
        }
        Assert.Equal("native", CpuConvolutionBackend.Current);
        Assert.Null(CpuConvolutionBackend.Problem);
    }

    [Fact]
    public void ZeroWeightsGiveExactlyZeroInputGradientsWhileTraining()
    {
        _ = new PipelineHost();
        using var training = CpuConvolutionBackend.ForTraining();
        using var generator = new Generator(3);
        using var conv = nn.Conv2d(16, 8, 3, padding: 1);
        using (no_grad()) { nn.init.zeros_(conv.weight!); nn.init.zeros_(conv.bias!); }
        int nonZero = 0;
        for (int k = 0; k < 100; k++)
        {
            using var x = randn([16, 16, 28, 28], generator: generator).requires_grad_(true);
            using var y = conv.forward(x);
            using var g = randn([16, 8, 28, 28], generator: generator);
            y.backward([g]);
            using var grad = x.grad!;
            using var any = grad.ne(0).any();
            if (any.item<bool>()) nonZero++;
        }
        Assert.Equal(0, nonZero);
    }
}
