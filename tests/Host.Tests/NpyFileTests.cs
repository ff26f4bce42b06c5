using Pipeline.IO;
using Pipeline.Options;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

public class NpyFileTests
{
    [Theory]
    [InlineData(torch.ScalarType.Float16)]
    [InlineData(torch.ScalarType.Float32)]
    [InlineData(torch.ScalarType.Float64)]
    [InlineData(torch.ScalarType.Int64)]
    public void RoundTripsAndWritesAnAlignedHeader(torch.ScalarType type)
    {
        using var dir = new TempFolder();
        using var t = torch.arange(24, dtype: torch.ScalarType.Float64).reshape(2, 3, 4).mul(0.5).to(type);
        NpyFile.Write(dir.File("a.npy"), t);
        var bytes = File.ReadAllBytes(dir.File("a.npy"));
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLength) % 64); // numpy aligns the data to 64 bytes
        Assert.Contains("'shape': (2, 3, 4)", System.Text.Encoding.ASCII.GetString(bytes, 10, headerLength));
        using var back = NpyFile.Read(dir.File("a.npy"));
        Assert.Equal(type, back.dtype);
        Assert.True(back.eq(t).all().item<bool>());
    }

    [Fact]
    public void HalfPrecisionIsWrittenWithoutLoss()
    {
        using var dir = new TempFolder();
        using var values = torch.tensor(new[] { 1.0 / 3, -2.71828, 1e-3, 65504.0 }, torch.ScalarType.Float64);
        using var half = values.to_type(torch.ScalarType.Float16);
        NpyFile.Write(dir.File("half.npy"), half);
        Assert.Contains("'descr': '<f2'", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(dir.File("half.npy"))));
        using var halfBack = NpyFile.Read(dir.File("half.npy"));
        Assert.Equal(torch.ScalarType.Float16, halfBack.dtype);
        Assert.True(halfBack.bytes.SequenceEqual(half.bytes));

        // NumPy has no bfloat16: it goes out as float32, which holds each bfloat16 value exactly.
        using var brain = values.to_type(torch.ScalarType.BFloat16);
        NpyFile.Write(dir.File("bf16.npy"), brain);
        using var brainBack = NpyFile.Read(dir.File("bf16.npy"));
        Assert.Equal(torch.ScalarType.Float32, brainBack.dtype);
        using var widened = brain.to_type(torch.ScalarType.Float32);
        Assert.True(brainBack.bytes.SequenceEqual(widened.bytes));
        using var back = brainBack.to_type(torch.ScalarType.BFloat16);
        Assert.True(back.bytes.SequenceEqual(brain.bytes));
    }

    [Fact]
    public void CorruptFilesAreInputErrorsNamingTheFile()
    {
        using var dir = new TempFolder();
        using var t = torch.ones(5, 5);
        NpyFile.Write(dir.File("good.npy"), t);
        var bytes = File.ReadAllBytes(dir.File("good.npy"));
        File.WriteAllBytes(dir.File("truncated.npy"), bytes[..(bytes.Length - 7)]);
        var e = Assert.Throws<PipelineInputException>(() => NpyFile.Read(dir.File("truncated.npy")));
        Assert.Contains("truncated.npy", e.Message);
        Assert.Contains("truncated", e.Message);

        File.WriteAllText(dir.File("text.npy"), "not an array");
        Assert.Contains("magic", Assert.Throws<PipelineInputException>(() => NpyFile.Read(dir.File("text.npy"))).Message);
        Assert.Contains("does not exist", Assert.Throws<PipelineInputException>(() => NpyFile.Read(dir.File("none.npy"))).Message);
    }
}
