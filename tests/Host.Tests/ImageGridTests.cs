using Pipeline.Host.Outputs;
using Pipeline.Tests.Support;
using SkiaSharp;

namespace Pipeline.Tests;

public class ImageGridTests
{
    [Fact]
    public void ImageShapedSamplesGetAPngGrid()
    {
        using var dir = new TempFolder();
        // One 8x8 "image" component with a bright left half: the grid must show it.
        var mean = string.Join(", ", Enumerable.Range(0, 64).Select(i => i % 8 < 4 ? "0.9" : "-0.9"));
        var json = $$"""
            {
              "model": { "type": "gmm", "weights": [1.0], "means": [[{{mean}}]], "stds": [[0.01]], "sampleShape": [1, 8, 8] },
              "noiseSchedule": { "type": "discrete" },
              "timeSteps": { "type": "time-uniform", "steps": 20 },
              "solver": { "type": "ddim" },
              "sampling": { "count": 6, "seed": 1 },
              "outputs": { "gridColumns": 3 }
            }
            """;
        var r = Cli.Run("run", dir.Write("img.json", json), "--output", dir.File("out"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Err);
        using var bitmap = SKBitmap.Decode(Path.Combine(dir.File("out"), RunWriter.GridFile));
        Assert.Equal(3 * (8 + 2) + 2, bitmap.Width);
        Assert.Equal(2 * (8 + 2) + 2, bitmap.Height);
        var left = bitmap.GetPixel(2 + 1, 2 + 1);   // first image, left half: 0.9 -> bright
        var right = bitmap.GetPixel(2 + 6, 2 + 1);  // right half: -0.9 -> dark
        Assert.True(left.Red > 230 && right.Red < 25, $"left {left}, right {right}");
        Assert.False(ImageGrid.IsImage([2]));
        Assert.True(ImageGrid.IsImage([3, 16, 16]));
    }
}
