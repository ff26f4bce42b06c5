using Pipeline.Host;
using Pipeline.Native;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// The host chooses libtorch's own CPU convolutions (CpuConvolutionBackend): with oneDNN's, the input gradient of a
/// zero-weight convolution held NaN in about 2 of 100 backward passes on an AMD EPYC with AVX-512, and every UNet
/// training test stopped at its first step with a NaN loss.
/// </summary>
public class CpuConvolutionTests
{
    [Fact]
    public void TheHostTurnsOneDnnConvolutionsOff()
    {
        _ = new PipelineHost();
        Assert.Null(CpuConvolutionBackend.Problem);
        Assert.Equal("native", CpuConvolutionBackend.Current);
    }

    [Fact]
    public void ZeroWeightsGiveExactlyZeroInputGradients()
    {
        _ = new PipelineHost();
        using var generator = new TorchSharp.torch.Generator(3);
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
