using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;
using Pipeline.IO;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>samples.npy and trajectory.npy keep the run's precision: what is on disk is what was sampled.</summary>
public class OutputPrecisionTests
{
    static string Descr(string file)
    {
        var bytes = File.ReadAllBytes(file);
        int length = BitConverter.ToUInt16(bytes, 8);
        var header = System.Text.Encoding.ASCII.GetString(bytes, 10, length);
        var match = System.Text.RegularExpressions.Regex.Match(header, @"'descr'\s*:\s*'([^']*)'");
        Assert.True(match.Success, header);
        return match.Groups[1].Value;
    }

    [Theory]
    [InlineData("float64", "<f8")]
    [InlineData("float32", "<f4")]
    public void SamplesAndTrajectoryAreWrittenBitForBitInTheRunsDtype(string dtype, string descr)
    {
        using var dir = new TempFolder();
        var host = new PipelineHost();
        var json = Definitions.Gmm(sampling: $"\"count\": 6, \"seed\": 5, \"dtype\": \"{dtype}\"",
            extra: ", \"outputs\": { \"trajectory\": true }");
        using var pipeline = host.Compose(json);
        using var memory = host.Sample(pipeline);
        var folder = host.Run(PipelineDefinition.Parse(json), dir.File("out"));
        Assert.Equal(dtype == "float64" ? torch.ScalarType.Float64 : torch.ScalarType.Float32, memory.Samples.dtype);

        foreach (var (file, expected) in new[] { (RunWriter.SamplesFile, memory.Samples), (RunWriter.TrajectoryFile, memory.Trajectory!) })
        {
            var path = Path.Combine(folder, file);
            Assert.Equal(descr, Descr(path));
            using var disk = NpyFile.Read(path);
            Assert.Equal(expected.dtype, disk.dtype);
            Assert.Equal(expected.shape, disk.shape);
            Assert.True(disk.bytes.SequenceEqual(expected.bytes), $"{file} differs from the samples in memory");
        }

        if (dtype == "float64")
        {
            // The float64 samples carry digits that float32 would lose, so the test above could not pass on a float32 file.
            using var rounded = memory.Samples.to_type(torch.ScalarType.Float32).to_type(torch.ScalarType.Float64);
            using var lost = memory.Samples.sub(rounded).abs().max();
            Assert.True(lost.item<double>() > 1e-12, "the float64 samples are representable in float32; the check would not see a float32 file");
        }
    }
}
