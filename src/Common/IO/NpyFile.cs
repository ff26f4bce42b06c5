using System.Text;
using System.Text.RegularExpressions;
using Pipeline.Options;
using TorchSharp;

namespace Pipeline.IO;

/// <summary>
/// NumPy .npy files (format 1.0-3.0, C order, little-endian float16/float32/float64/int32/int64/uint8/bool),
/// the array format of every file the host reads or writes. Corrupt or unsupported files raise
/// <see cref="PipelineInputException"/> naming the file and what is wrong.
/// </summary>
/// <remarks>
/// A tensor is written in its own type, so a float64 run keeps every digit. bfloat16 is the one
/// exception: NumPy has no such type, so it is written as float32, which holds every bfloat16 value
/// exactly (bfloat16 is float32 with the low 16 mantissa bits dropped).
/// </remarks>
public static partial class NpyFile
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static void Write(string path, torch.Tensor tensor, CancellationToken cancellation = default)
    {
        using var stream = File.Create(path);
        Write(stream, tensor, cancellation);
    }

    /// <summary>The type a tensor of <paramref name="type"/> is stored as: its own, bfloat16 as float32.</summary>
    public static torch.ScalarType StoredType(torch.ScalarType type) =>
        type == torch.ScalarType.BFloat16 ? torch.ScalarType.Float32 : type;

    /// <param name="cancellation">Checked between chunks of the data, so a large array's write can be interrupted.</param>
    public static void Write(Stream stream, torch.Tensor tensor, CancellationToken cancellation = default)
    {
        using var scope = torch.NewDisposeScope(); // the intermediate copies, never the caller's tensor
        var cpu = tensor.detach().cpu().to_type(StoredType(tensor.dtype)).contiguous();
        var (descr, size) = cpu.dtype switch
        {
            torch.ScalarType.Float16 => ("<f2", 2),
            torch.ScalarType.Float32 => ("<f4", 4),
            torch.ScalarType.Float64 => ("<f8", 8),
            torch.ScalarType.Int32 => ("<i4", 4),
            torch.ScalarType.Int64 => ("<i8", 8),
            torch.ScalarType.Byte => ("|u1", 1),
            torch.ScalarType.Bool => ("|b1", 1),
            _ => throw new NotSupportedException($"cannot write {cpu.dtype} to .npy; convert to float16, float32 or float64 first"),
        };
        var shape = cpu.shape;
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = Magic.Length + 2 + 2 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        var bytes = cpu.bytes;
        if (bytes.Length != cpu.numel() * size) throw new InvalidOperationException("unexpected tensor byte size");
        for (int offset = 0; offset < bytes.Length; offset += WriteChunk)
        {
            cancellation.ThrowIfCancellationRequested();
            stream.Write(bytes.Slice(offset, Math.Min(WriteChunk, bytes.Length - offset)));
        }
        cancellation.ThrowIfCancellationRequested();
    }

    const int WriteChunk = 1 << 22;

    /// <summary>Reads an array as a CPU tensor of the file's own type.</summary>
    public static torch.Tensor Read(string path)
    {
        if (!File.Exists(path))
            throw new PipelineInputException($"array file '{path}' does not exist; check the path (relative paths are resolved against the definition's folder)");
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (PipelineInputException e)
        {
            throw new PipelineInputException($"array file '{path}' is not a valid .npy file: {e.Message}; write it with numpy.save", e.Path, e);
        }
    }

    public static torch.Tensor Read(Stream stream)
    {
        var magic = new byte[8];
        ReadExactly(stream, magic, "the file is shorter than the .npy preamble");
        if (!magic.AsSpan(0, 6).SequenceEqual(Magic)) throw new PipelineInputException("missing the \\x93NUMPY magic");
        int major = magic[6];
        int headerLength;
        if (major == 1)
        {
            var b = new byte[2];
            ReadExactly(stream, b, "truncated header length");
            headerLength = BitConverter.ToUInt16(b);
        }
        else if (major is 2 or 3)
        {
            var b = new byte[4];
            ReadExactly(stream, b, "truncated header length");
            uint length = BitConverter.ToUInt32(b);
            if (length > 1 << 20) throw new PipelineInputException($"the header length field says {length} bytes, implausibly long for a .npy header");
            headerLength = (int)length;
        }
        else throw new PipelineInputException($"unsupported format version {major}");
        if (headerLength > 1 << 20) throw new PipelineInputException("header is implausibly long");
        if (stream.CanSeek && headerLength > stream.Length - stream.Position)
            throw new PipelineInputException($"the header length field says {headerLength} bytes but the file has {stream.Length - stream.Position} after it");
        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, "truncated header");
        string header = Encoding.UTF8.GetString(headerBytes);

        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success) throw new PipelineInputException($"unreadable header '{header.Trim()}'");
        if (fortran.Groups[1].Value == "True") throw new PipelineInputException("Fortran-order arrays are not supported; save with numpy.ascontiguousarray");
        var shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s, out var v) && v >= 0 ? v : throw new PipelineInputException($"bad shape entry '{s}'"))
            .ToArray();
        var (type, size) = descr.Groups[1].Value switch
        {
            "<f2" => (torch.ScalarType.Float16, 2),
            "<f4" => (torch.ScalarType.Float32, 4),
            "<f8" => (torch.ScalarType.Float64, 8),
            "<i4" => (torch.ScalarType.Int32, 4),
            "<i8" => (torch.ScalarType.Int64, 8),
            "|u1" or "<u1" => (torch.ScalarType.Byte, 1),
            "|b1" => (torch.ScalarType.Bool, 1),
            var d => throw new PipelineInputException($"unsupported dtype '{d}' (use float16, float32, float64, int32, int64, uint8 or bool, little-endian)"),
        };
        long bytes = DataBytes(shape, size);
        if (stream.CanSeek && bytes > stream.Length - stream.Position)
            throw new PipelineInputException(
                $"data is truncated: the header promises shape ({string.Join(", ", shape)}), {bytes} bytes, but the file holds {stream.Length - stream.Position} after the header");
        if (bytes > Array.MaxLength)
            throw new PipelineInputException($"the header promises {bytes} bytes of data, more than one array can hold");
        long count = bytes / size;
        var data = new byte[bytes];
        ReadExactly(stream, data, $"data is truncated: the header promises {count} values of {size} bytes");
        if (stream.CanSeek && stream.Position != stream.Length) throw new PipelineInputException("the file has trailing bytes after the data");
        var tensor = torch.empty(shape, type);
        tensor.bytes = data;
        return tensor;
    }

    // Bytes of data a header promises, or an input error when that overflows (a corrupt or hostile shape).
    static long DataBytes(long[] shape, int size)
    {
        try
        {
            return shape.Aggregate((long)size, (a, b) => checked(a * b));
        }
        catch (OverflowException)
        {
            throw new PipelineInputException($"the header's shape ({string.Join(", ", shape)}) holds more values than any file can");
        }
    }

    /// <summary>Reads a numeric array as doubles (flattened, C order).</summary>
    public static double[] ReadDoubles(string path)
    {
        using var t = Read(path);
        using var d = t.to_type(torch.ScalarType.Float64);
        return d.data<double>().ToArray();
    }

    static void ReadExactly(Stream s, byte[] buffer, string error)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = s.Read(buffer, read, buffer.Length - read);
            if (n == 0) throw new PipelineInputException(error);
            read += n;
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")] private static partial Regex DescrPattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapePattern();
}
