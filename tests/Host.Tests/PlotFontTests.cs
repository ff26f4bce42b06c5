using Pipeline.Host.Comparison;
using Pipeline.Host.Outputs;
using SkiaSharp;

namespace Pipeline.Tests;

/// <summary>compare.png draws its text with the font shipped in the host, not with whatever the machine has.</summary>
public class PlotFontTests
{
    static readonly ComparisonRow[] Rows =
    [
        new("DDIM", 4, 4, 4, new Dictionary<string, double> { ["rmse"] = 0.3 }, 0.1, null),
        new("DDIM", 16, 16, 16, new Dictionary<string, double> { ["rmse"] = 0.05 }, 0.1, null),
        new("Heun", 4, 4, 2, new Dictionary<string, double> { ["rmse"] = 0.2 }, 0.1, null),
        new("Heun", 16, 16, 8, new Dictionary<string, double> { ["rmse"] = 0.004 }, 0.1, null),
    ];

    const int Width = 900, Height = 600;

    static (SKBitmap Bitmap, ScottPlot.PixelRect Data) Render(ScottPlot.Plot plot)
    {
        var bitmap = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap)) plot.Render(canvas, Width, Height);
        return (bitmap, plot.RenderManager.LastRender.DataRect);
    }

    [Fact]
    public void TitleAxisLabelsTicksAndLegendAreDrawnWithTheShippedFont()
    {
        var figure = ComparisonReport.Figure(Rows, "exact-ode-error rmse", "small comparison");

        // Every text element names the shipped font, and ScottPlot's lookup of that name gives the embedded file,
        // so no installed font takes part.
        Assert.Equal(PlotFont.Name, figure.Axes.Title.Label.FontName);
        Assert.All(figure.Axes.GetAxes(), a => Assert.Equal(PlotFont.Name, a.Label.FontName));
        Assert.All(figure.Axes.GetAxes(), a => Assert.Equal(PlotFont.Name, a.TickLabelStyle.FontName));
        Assert.Equal(PlotFont.Name, figure.Legend.FontName);
        using var shipped = PlotFont.Typeface();
        var used = ScottPlot.Fonts.GetTypeface(PlotFont.Name, bold: false, italic: false);
        Assert.Equal("DejaVu Sans", used.FamilyName);
        using (var a = used.OpenStream()) using (var b = shipped.OpenStream()) Assert.Equal(b.Length, a.Length);
        Assert.True(used.GlyphCount > 1000, $"the resolved font has {used.GlyphCount} glyphs");

        // The same figure with every text colour transparent has the same layout (text is still measured), so any
        // pixel that differs is a glyph. A missing font measures and draws nothing, and then nothing differs.
        var (text, data) = Render(figure);
        var blank = ComparisonReport.Figure(Rows, "exact-ode-error rmse", "small comparison");
        var clear = ScottPlot.Colors.Transparent;
        blank.Axes.Title.Label.ForeColor = clear;
        foreach (var axis in blank.Axes.GetAxes())
        {
            axis.Label.ForeColor = clear;
            axis.TickLabelStyle.ForeColor = clear;
        }
        blank.Legend.FontColor = clear;
        var (none, blankData) = Render(blank);
        using (text) using (none)
        {
            Assert.Equal(data, blankData);
            int title = 0, left = 0, bottom = 0, legend = 0;
            for (int y = 0; y < Height; y++)
                for (int x = 0; x < Width; x++)
                {
                    if (text.GetPixel(x, y) == none.GetPixel(x, y)) continue;
                    if (y < data.Top) title++;
                    else if (y > data.Bottom) bottom++;
                    else if (x < data.Left) left++;
                    else if (x > data.Left && x < data.Right) legend++;
                }
            // Measured on this figure: 1070 title, 2667 left, 1093 bottom and 358 legend pixels, the same with no
            // font installed at all; without the shipped font on such a machine all four are 0.
            var counts = $"{title} title, {left} left, {bottom} bottom, {legend} legend pixels differ";
            Assert.True(title > 300 && left > 800 && bottom > 300 && legend > 100, counts);
        }
    }
}
