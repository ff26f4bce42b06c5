using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace Pipeline.Host.Outputs;

/// <summary>
/// The font of every plot: DejaVu Sans, embedded in this assembly (src/Host/Fonts, Bitstream Vera license).
/// SkiaSharp's Linux build without dependencies finds no fonts on a machine that has none installed (a fresh
/// Debian), and ScottPlot then draws every title, label and tick as nothing; a font of our own cannot be missing.
/// </summary>
public static class PlotFont
{
    /// <summary>A family name no installed font has, so the system's font lookup never answers for it.</summary>
    public const string Name = "Pipeline DejaVu Sans";

    static readonly Lazy<SKData> RegularData = new(() => Load("DejaVuSans.ttf"));
    static readonly Lazy<SKData> BoldData = new(() => Load("DejaVuSans-Bold.ttf"));
    static readonly Lazy<bool> Registered = new(() =>
    {
        // First in the list: ScottPlot asks its resolvers in order and caches the first answer per name and style.
        Fonts.FontResolvers.Insert(0, new Resolver());
        return true;
    });

    /// <summary>A new typeface of the shipped font (bold for weights from semi-bold up; no italic is shipped).</summary>
    public static SKTypeface Typeface(bool bold = false) =>
        SKTypeface.FromData(bold ? BoldData.Value : RegularData.Value)
        ?? throw new InvalidOperationException("the embedded plot font could not be read");

    /// <summary>Draws the plot's title, axis labels, tick labels and legend with the shipped font.</summary>
    public static void Apply(Plot plot)
    {
        _ = Registered.Value;
        plot.Axes.Title.Label.FontName = Name;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = Name;
            axis.TickLabelStyle.FontName = Name;
        }
        plot.Legend.FontName = Name;
    }

    static SKData Load(string file)
    {
        var resource = $"Pipeline.Host.Fonts.{file}";
        using var stream = typeof(PlotFont).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the host assembly lacks its font resource '{resource}'");
        return SKData.Create(stream);
    }

    sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == Name ? Typeface(weight >= FontWeight.SemiBold) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Name ? Typeface(bold) : null;
    }
}
