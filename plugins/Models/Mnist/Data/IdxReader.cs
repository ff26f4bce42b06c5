using System.IO.Compression;
using Pipeline.Options;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Data;

/// <summary>
/// The original MNIST IDX files (LeCun et al.): big-endian magic 0x00000803 (images: count, rows, columns,
/// then uint8 pixels) and 0x00000801 (labels: count, then uint8 labels), plain or gzip-compressed.
/// </summary>
public static class IdxReader
{
    /// <summary>The file named <paramref name="name"/> or <paramref name="name"/>.gz in the folder, or null.</summary>
    public static string? Find(string folder, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz", name.Replace("-idx", ".idx") })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    public static (Tensor Pixels, Tensor Labels) Read(string imageFile, string labelFile)
    {
        var images = ReadAll(imageFile);
        var labels = ReadAll(labelFile);
        int count = Header(images, imageFile, 0x00000803, 3, out var dims);
        if (dims[1] != MnistDigits.Side || dims[2] != MnistDigits.Side)
            throw new PipelineInputException($"'{imageFile}' holds {dims[1]}x{dims[2]} images; MNIST digits are 28x28");
        long expected = 16L + (long)count * MnistDigits.ImagePixels;
        if (images.Length != expected)
            throw new PipelineInputException($"'{imageFile}' has {images.Length} bytes but its header promises {expected}; the file is truncated or damaged");
        int labelCount = Header(labels, labelFile, 0x00000801, 1, out _);
        if (labels.Length != 8 + labelCount)
            throw new PipelineInputException($"'{labelFile}' has {labels.Length} bytes but its header promises {8 + labelCount}; the file is truncated or damaged");
        if (labelCount != count)
            throw new PipelineInputException($"'{imageFile}' holds {count} images but '{labelFile}' holds {labelCount} labels; use files of the same set");
        var labelValues = new long[count];
        for (int i = 0; i < count; i++)
        {
            byte l = labels[8 + i];
            if (l >= MnistDigits.Classes) throw new PipelineInputException($"'{labelFile}' has label {l} at position {i}; MNIST labels are 0..9");
            labelValues[i] = l;
        }
        var pixels = tensor(images.AsSpan(16).ToArray(), ScalarType.Byte).reshape(count, MnistDigits.Side, MnistDigits.Side);
        return (pixels, tensor(labelValues, int64));
    }

    static byte[] ReadAll(string file)
    {
        try
        {
            if (!file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return File.ReadAllBytes(file);
            using var stream = File.OpenRead(file);
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gzip.CopyTo(memory);
            return memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new PipelineInputException($"'{file}' is not a readable gzip file ({e.Message}); download it again", null, e);
        }
    }

    static int Header(byte[] bytes, string file, int magic, int dimensions, out int[] dims)
    {
        int headerBytes = 4 + 4 * dimensions;
        if (bytes.Length < headerBytes)
            throw new PipelineInputException($"'{file}' is shorter than an IDX header; the file is truncated or damaged");
        int found = BigEndian(bytes, 0);
        if (found != magic)
            throw new PipelineInputException($"'{file}' starts with 0x{found:x8}, not the IDX magic 0x{magic:x8}; it is not an MNIST {(dimensions == 3 ? "image" : "label")} file");
        dims = Enumerable.Range(0, dimensions).Select(d => BigEndian(bytes, 4 + 4 * d)).ToArray();
        if (dims.Any(d => d < 0)) throw new PipelineInputException($"'{file}' has a negative size in its header");
        return dims[0];
    }

    static int BigEndian(byte[] b, int at) => b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3];
}
