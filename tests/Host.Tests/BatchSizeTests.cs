using Pipeline.Host;
using Pipeline.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace Pipeline.Tests;

/// <summary>
/// What the batch size may change. Each sample's noise comes from its own seed, so on the analytic mixture the samples
/// are bit-identical at any batch size; a network's convolution kernels are chosen by batch size, so there they agree
/// only up to float rounding.
/// </summary>
public class BatchSizeTests(ITestOutputHelper output)
{
    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "models", "mnist-unet.ckpt"))) return dir.FullName;
        throw new InvalidOperationException("models/mnist-unet.ckpt not found above the test folder");
    }

    static torch.Tensor Sample(PipelineHost host, string json, string? baseDirectory = null)
    {
        using var pipeline = host.Compose(json, baseDirectory);
        using var result = host.Sample(pipeline);
        return result.Samples.clone();
    }

    [Theory]
    [InlineData("\"type\": \"ddpm\"")]
    [InlineData("\"type\": \"dpm-solver++\", \"order\": 2")]
    public void MixtureSamplesAreBitIdenticalAtEveryBatchSize(string solver)
    {
        var host = new PipelineHost();
        using var whole = Sample(host, Definitions.Gmm(solver: solver, sampling: "\"count\": 14, \"seed\": 5"));
        foreach (var batch in new[] { 1, 3, 7 })
        {
            using var split = Sample(host, Definitions.Gmm(solver: solver, sampling: $"\"count\": 14, \"seed\": 5, \"batchSize\": {batch}"));
            Assert.True(whole.bytes.SequenceEqual(split.bytes), $"batch size {batch} changed the samples");
        }
    }

    [Fact]
    public void UnetSamplesAgreeAcrossBatchSizesUpToFloatRounding()
    {
        var host = new PipelineHost();
        var root = RepoRoot();
        string Definition(int batch) => $$"""
            {
              "model": { "type": "mnist-unet" },
              "noiseSchedule": { "type": "discrete", "betaSchedule": "linear" },
              "timeSteps": { "type": "time-uniform", "steps": 4 },
              "solver": { "type": "ddim" },
              "sampling": { "count": 4, "batchSize": {{batch}}, "seed": 3, "labelsInRows": true, "device": "cpu" }
            }
            """;
        using var reference = Sample(host, Definition(4), root);
        using var magnitude = reference.abs();
        using var scale = magnitude.max();
        double size = scale.item<float>();
        foreach (var batch in new[] { 1, 3 })
        {
            using var other = Sample(host, Definition(batch), root);
            using var delta = other - reference;
            using var absolute = delta.abs();
            using var difference = absolute.max();
            double relative = difference.item<float>() / size;
            output.WriteLine($"batch {batch} vs 4: max |difference| {difference.item<float>():0.###e+0}, relative to max |x| {relative:0.###e+0}");
            Assert.True(relative <= 1e-4, $"batch {batch}: relative difference {relative:0.###e+0}");
        }
    }
}
