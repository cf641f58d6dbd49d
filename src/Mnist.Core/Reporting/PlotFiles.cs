using Mnist.Core.Infrastructure;
using ScottPlot;
using SkiaSharp;

namespace Mnist.Core.Reporting;

/// <summary>
/// Saves ScottPlot figures as a PNG and an SVG of the same name, atomically (a reader never sees
/// half a file). Text is set in DejaVu Sans where the system has it (Debian's fonts-dejavu):
/// ScottPlot's own choice depends on the fonts it finds, and may lack glyphs such as the arrow.
/// Rendering is serialised: ScottPlot's font cache is shared by every plot.
/// </summary>
public static class PlotFiles
{
    public const string FontName = "DejaVu Sans";
    private static readonly Lock Gate = new();
    private static readonly string[] FontDirs = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF"];
    private static bool _fontsReady;

    public static string[] Formats { get; } = ["png", "svg"];

    public static void Save(Plot plot, string dir, string name, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(plot);
        byte[] png;
        string svg;
        lock (Gate)
        {
            EnsureFonts();
            plot.Font.Set(Fonts.Default);
            png = plot.GetImageBytes(width, height, ImageFormat.Png);
            svg = plot.GetSvgXml(width, height);
        }
        Write(dir, name, png, svg);
    }

    /// <summary>A multiplot: ScottPlot renders it onto a raster surface for the PNG and onto Skia's SVG canvas for the SVG.</summary>
    public static void Save(Multiplot multiplot, string dir, string name, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(multiplot);
        byte[] png;
        string svg;
        lock (Gate)
        {
            EnsureFonts();
            foreach (var plot in multiplot.GetPlots()) plot.Font.Set(Fonts.Default);
            using (var image = multiplot.Render(width, height)) png = image.GetImageBytes(ImageFormat.Png);
            using var stream = new MemoryStream();
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
            {
                canvas.Clear(SKColors.White);
                multiplot.Render(canvas, new PixelRect(0, width, height, 0));
            }
            svg = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        }
        Write(dir, name, png, svg);
    }

    /// <summary>The files a picture is saved as: NAME.png and NAME.svg in the folder.</summary>
    public static IEnumerable<string> PathsOf(string dir, string name) => Formats.Select(f => Path.Combine(dir, $"{name}.{f}"));

    /// <summary>True when both files of the picture exist.</summary>
    public static bool Exists(string dir, string name) => PathsOf(dir, name).All(File.Exists);

    private static void Write(string dir, string name, byte[] png, string svg)
    {
        // Skia embeds images (the digits) at their own size; tell viewers to enlarge them as the PNG does, pixel by pixel.
        svg = svg.Replace("<image ", "<image style=\"image-rendering:pixelated\" ", StringComparison.Ordinal);
        AtomicFile.Write(Path.Combine(dir, name + ".png"), s => s.Write(png));
        AtomicFile.WriteAllText(Path.Combine(dir, name + ".svg"), svg);
    }

    private static void EnsureFonts()
    {
        if (_fontsReady) return;
        foreach (var dir in FontDirs)
        {
            var regular = Path.Combine(dir, "DejaVuSans.ttf");
            if (!File.Exists(regular)) continue;
            Fonts.AddFontFile(FontName, regular);
            var bold = Path.Combine(dir, "DejaVuSans-Bold.ttf");
            if (File.Exists(bold)) Fonts.AddFontFile(FontName, bold, bold: true);
            Fonts.Default = FontName;
            Fonts.Sans = FontName;
            break;
        }
        _fontsReady = true;
    }
}
