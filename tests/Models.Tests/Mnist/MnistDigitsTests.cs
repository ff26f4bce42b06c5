using Pipeline.IO;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Data;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

public class MnistDigitsTests
{
    static readonly int[] Counts = [2, 1, 3, 102, 1, 1, 1, 1, 1, 2];

    [Fact]
    public void JsonDigitsAreReadAsExactPixelsWithTheirLabelsAndScaledToPlusMinusOne()
    {
        using var temp = new TempFolder();
        MnistTestData.WriteJsonDigits(temp.Path, Counts);
        using var digits = MnistDigits.Load(temp.Path);

        Assert.Equal(Counts.Sum(), digits.Count);
        Assert.Equal(new long[] { Counts.Sum(), 28, 28 }, digits.Pixels.shape);
        var labels = digits.Labels.data<long>().ToArray();
        var pixels = digits.Pixels.data<byte>().ToArray();
        int n = 0;
        for (int d = 0; d < 10; d++)
            for (int i = 0; i < Counts[d]; i++, n++)
            {
                Assert.Equal(d, labels[n]);
                for (int p = 0; p < 784; p += 97) Assert.Equal(MnistTestData.Pixel(d, i, p), pixels[n * 784 + p]);
            }

        var (images, heldLabels) = digits.HeldOut();
        using var _i = images;
        using var _l = heldLabels;
        Assert.Equal(new long[] { heldLabels.shape[0], 1, 28, 28 }, images.shape);
        Assert.Equal(-1.0, images.min().item<float>(), 6);
        Assert.Equal(1.0, images.max().item<float>(), 6);
        // 255 -> 1, 0 -> -1: x = k / 127.5 - 1
        double first = images[0, 0, 0, 0].item<float>();
        Assert.Equal(MnistTestData.Pixel(0, 0, 0) / 127.5 - 1, first, 6);
    }

    [Fact]
    public void TheLastHundredOfEachClassAreHeldOutAndTheRestTrain()
    {
        using var temp = new TempFolder();
        MnistTestData.WriteJsonDigits(temp.Path, Counts);
        using var digits = MnistDigits.Load(temp.Path);
        // Class 3 (indices 6..107 in file order) has 102 digits: its first two train, everything else is held out.
        int start3 = Counts.Take(3).Sum();
        Assert.Equal(new long[] { start3, start3 + 1 }, digits.TrainIndices);
        Assert.Equal(Counts.Sum() - 2, digits.HeldOutIndices.Length);
        Assert.Empty(digits.TrainIndices.Intersect(digits.HeldOutIndices));
        var (train, labels) = digits.Train();
        using var _t = train;
        using var _l = labels;
        Assert.Equal(new long[] { 3, 3 }, labels.data<long>().ToArray());
        Assert.Equal(MnistTestData.Pixel(3, 1, 5) / 127.5 - 1, train[1, 0, 0, 5].item<float>(), 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxFilesPlainOrCompressedGiveTheSameDigits(bool gzip)
    {
        using var temp = new TempFolder();
        long[] labels = [5, 0, 4, 1, 9, 2];
        MnistTestData.WriteIdx(temp.Path, labels, gzip);
        using var digits = MnistDigits.Load(temp.Path);
        Assert.Equal(labels, digits.Labels.data<long>().ToArray());
        var pixels = digits.Pixels.data<byte>().ToArray();
        for (int i = 0; i < labels.Length; i++)
            Assert.Equal(MnistTestData.Pixel((int)labels[i], i, 300), pixels[i * 784 + 300]);
    }

    [Fact]
    public void NpyDigitsAreRead()
    {
        using var temp = new TempFolder();
        using (var images = arange(3 * 784, int64).remainder(256).to_type(ScalarType.Byte).reshape(3, 28, 28))
        using (var labels = tensor(new long[] { 7, 7, 1 }))
        {
            NpyFile.Write(temp.File("images.npy"), images);
            NpyFile.Write(temp.File("labels.npy"), labels);
        }
        using var digits = MnistDigits.Load(temp.Path);
        Assert.Equal(new long[] { 7, 7, 1 }, digits.Labels.data<long>().ToArray());
        Assert.Equal((byte)(784 % 256), digits.Pixels[1, 0, 0].item<byte>());
    }

    [Fact]
    public void AMissingOrEmptyFolderNamesTheFetchScript()
    {
        using var temp = new TempFolder();
        var missing = Assert.Throws<PipelineInputException>(() => MnistDigits.Load(temp.File("nothing-here")));
        Assert.Contains("scripts/fetch-mnist.sh", missing.Message);
        var empty = Assert.Throws<PipelineInputException>(() => MnistDigits.Load(temp.Path));
        Assert.Contains("scripts/fetch-mnist.sh", empty.Message);
        Assert.Contains("0.json", empty.Message);
    }

    [Fact]
    public void TruncatedOrDamagedFilesAreNamedInTheError()
    {
        using var temp = new TempFolder();
        MnistTestData.WriteJsonDigits(temp.Path, Counts);
        var file = Path.Combine(temp.Path, "package", "src", "digits", "4.json");
        var text = File.ReadAllText(file);
        File.WriteAllText(file, text[..(text.Length / 2)]);
        var truncated = Assert.Throws<PipelineInputException>(() => MnistDigits.Load(temp.Path));
        Assert.Contains("4.json", truncated.Message);
        Assert.Contains("fetch-mnist.sh", truncated.Message);

        // Whole JSON, but a digit short of 784 values.
        File.WriteAllText(file, "{ \"data\": [0, 0.5, 1] }");
        var shortDigit = Assert.Throws<PipelineInputException>(() => MnistDigits.Load(temp.Path));
        Assert.Contains("multiple of 784", shortDigit.Message);

        using var idx = new TempFolder();
        MnistTestData.WriteIdx(idx.Path, [1, 2, 3], gzip: false);
        var images = Path.Combine(idx.Path, "train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..^100]);
        var idxError = Assert.Throws<PipelineInputException>(() => MnistDigits.Load(idx.Path));
        Assert.Contains("train-images-idx3-ubyte", idxError.Message);
        Assert.Contains("truncated", idxError.Message);
    }

    [Fact]
    public void TheShippedHeldOutDigitsAreAHundredOfEachClass()
    {
        using var digits = MnistDigits.Load(MnistTestData.HeldOut);
        Assert.Equal(1000, digits.Count);
        Assert.Equal(1000, digits.HeldOutIndices.Length);
        Assert.Empty(digits.TrainIndices);
        for (int c = 0; c < 10; c++) Assert.Equal(100, digits.Labels.eq(c).sum().item<long>());
    }

    /// <summary>Only where scripts/fetch-mnist.sh has run (a developer's checkout): the shipped copy is the reader's split.</summary>
    [Fact]
    public void TheShippedHeldOutDigitsAreTheSplitOfTheDownloadedData()
    {
        var cache = Path.Combine(MnistTestData.RepoRoot, ".cache", "mnist");
        if (!Directory.Exists(Path.Combine(cache, "package"))) return;
        using var full = MnistDigits.Load(cache);
        using var shipped = MnistDigits.Load(MnistTestData.HeldOut);
        using var index = tensor(full.HeldOutIndices);
        using var pixels = full.Pixels.index_select(0, index);
        using var labels = full.Labels.index_select(0, index);
        Assert.True(pixels.eq(shipped.Pixels).all().item<bool>());
        Assert.True(labels.eq(shipped.Labels).all().item<bool>());
        Assert.Equal(9000, full.TrainIndices.Length);
    }
}
