using System.Xml.Linq;
using SkiaSharp;

namespace Mnist.Core.Tests.Reporting;

/// <summary>What a picture file must be: a PNG that decodes at its size and is not one colour, an SVG that parses and has its texts.</summary>
internal static class Pictures
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Decodes the PNG, checks its size, and returns how many distinct colours it has (at least 3: text, lines, background).</summary>
    public static int AssertPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        using var bitmap = SKBitmap.Decode(File.ReadAllBytes(path));
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        var colours = new HashSet<uint>();
        for (var y = 0; y < bitmap.Height; y += 3)
        {
            for (var x = 0; x < bitmap.Width; x += 3) colours.Add((uint)bitmap.GetPixel(x, y));
        }
        Assert.True(colours.Count >= 3, $"{path} has {colours.Count} colours: it is blank");
        return colours.Count;
    }

    /// <summary>Parses the SVG, checks its size, and returns the text of every &lt;text&gt; element, trimmed.</summary>
    public static IReadOnlyList<string> AssertSvg(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var doc = XDocument.Load(path);
        var root = doc.Root!;
        Assert.Equal(Svg + "svg", root.Name);
        Assert.Equal((width.ToString(System.Globalization.CultureInfo.InvariantCulture), height.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ((string?)root.Attribute("width"), (string?)root.Attribute("height")));
        return root.Descendants(Svg + "text").Select(t => t.Value.Trim()).Where(t => t.Length > 0).ToList();
    }

    /// <summary>The first PNG's size, read from its header.</summary>
    public static (int Width, int Height) PngSize(string path)
    {
        using var codec = SKCodec.Create(path);
        return (codec.Info.Width, codec.Info.Height);
    }
}
