using SkiaSharp;
using TorchSharp;

namespace Pipeline.Host.Outputs;

/// <summary>Tiles image-shaped samples ([N,H,W] or [N,C,H,W], C = 1 or 3) into one PNG.</summary>
public static class ImageGrid
{
    /// <summary>True when one sample of this shape is an image the grid can show.</summary>
    public static bool IsImage(long[] sampleShape) =>
        sampleShape.Length == 2 && sampleShape.All(s => s >= 2)
        || sampleShape.Length == 3 && sampleShape[0] is 1 or 3 && sampleShape[1] >= 2 && sampleShape[2] >= 2;

    public static void WritePng(torch.Tensor samples, string path, int columns, double low, double high)
    {
        using var scope = torch.NewDisposeScope();
        var x = samples.to(torch.ScalarType.Float32).cpu();
        if (x.dim() == 3) x = x.unsqueeze(1);
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        int cols = (int)Math.Min(columns, n), rows = (int)((n + cols - 1) / cols);
        const int pad = 2;
        // Map [low, high] to [0, 255], then lay out as HWC bytes.
        using TorchSharp.Scalar lowS = low, range = high - low, zero = 0.0, one = 1.0, full = 255.0;
        var bytes = x.sub(lowS).div(range).clamp(zero, one).mul(full).round().to(torch.ScalarType.Byte)
            .permute(0, 2, 3, 1).contiguous().data<byte>().ToArray();
        int width = cols * ((int)w + pad) + pad, height = rows * ((int)h + pad) + pad;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(40, 40, 40));
        for (long i = 0; i < n; i++)
        {
            int ox = (int)(i % cols) * ((int)w + pad) + pad, oy = (int)(i / cols) * ((int)h + pad) + pad;
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++)
                {
                    long at = ((i * h + yy) * w + xx) * c;
                    byte r = bytes[at], g = c == 3 ? bytes[at + 1] : r, b = c == 3 ? bytes[at + 2] : r;
                    bitmap.SetPixel(ox + xx, oy + yy, new SKColor(r, g, b));
                }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
