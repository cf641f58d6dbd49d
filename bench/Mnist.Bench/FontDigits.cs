using System.Globalization;
using Mnist.Core.Inference;
using Mnist.Samples;
using SkiaSharp;

namespace Mnist.Bench;

/// <summary>A handwriting-like font of a Debian package: the file it installs and the package's name (for the hint when it is missing).</summary>
public sealed record HandwritingFont(string Name, string Package, string File);

/// <summary>
/// The ten digits typed in handwriting-like fonts, drawn white on black on the page's pad at the
/// trajectories' <see cref="DrawnDigits.Placements"/> (the glyph's box fitted into each), with the
/// outline thickened by a round pen of each of the <see cref="Pens"/> (a share of the digit's size), and decoded from PNG as the
/// server decodes what the page sends.
/// </summary>
public static class FontDigits
{
    /// <summary>
    /// Widths of the pen that traces the glyph's outline, as a share of the digit's size (0: the
    /// glyph as the font draws it; 0.08 makes a regular weight bold).
    /// </summary>
    public static IReadOnlyList<double> Pens { get; } = [0, 0.04, 0.08];

    /// <summary>The fonts of the benchmark; .ci/run installs their packages.</summary>
    public static IReadOnlyList<HandwritingFont> Fonts { get; } =
    [
        .. new[] { "Build", "Connect", "Create", "Learn", "Mentor", "Organize" }.Select(name =>
            new HandwritingFont($"Because We {name}", "fonts-bwht", $"/usr/share/fonts/opentype/bwht/BecauseWe{name}-Regular.otf")),
        new("Humor Sans", "fonts-humor-sans", "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"),
        new("Klee One", "fonts-klee", "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf"),
        new("Yusei Magic", "fonts-yusei-magic", "/usr/share/fonts/truetype/yusei-magic/YuseiMagic-Regular.ttf"),
        new("Leckerli One", "fonts-leckerli-one", "/usr/share/fonts/truetype/leckerli-one/LeckerliOne-Regular.ttf"),
    ];

    /// <summary>The fonts whose files are not on this machine.</summary>
    public static IReadOnlyList<HandwritingFont> Missing(IEnumerable<HandwritingFont> fonts) => [.. fonts.Where(f => !System.IO.File.Exists(f.File))];

    /// <summary>The name of a font's row.</summary>
    public static string RowName(HandwritingFont font)
    {
        ArgumentNullException.ThrowIfNull(font);
        return string.Create(CultureInfo.InvariantCulture, $"font {font.Name} ({font.Package}), 4 sizes and places, outline pens {string.Join("/", Pens.Select(p => p.ToString(CultureInfo.InvariantCulture)))} of the digit's size");
    }

    /// <summary>Every digit at every placement and pen width, as ink on the pad.</summary>
    public static IEnumerable<LabeledInk> Digits(HandwritingFont font)
    {
        ArgumentNullException.ThrowIfNull(font);
        using var typeface = SKTypeface.FromFile(font.File)
            ?? throw new FileNotFoundException($"the font {font.Name} is not installed: apt-get install -y {font.Package}", font.File);
        foreach (var pen in Pens)
        {
            foreach (var (_, size, left, top) in DrawnDigits.Placements)
            {
                for (var digit = 0; digit < 10; digit++)
                {
                    var (ink, w, h) = ImagePreprocessor.DecodeToInk(RenderPng(typeface, digit, DrawnDigits.Pad, pen * size, left, top, size), ImageLimits.Default);
                    yield return new LabeledInk(ink, w, h, digit);
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="digit"/> in the typeface, white on black on a square pad of <paramref name="side"/>
    /// pixels: the glyph's box fitted into the square of <paramref name="size"/> pixels at
    /// (<paramref name="left"/>, <paramref name="top"/>) and centred in it, its outline thickened by a
    /// round pen <paramref name="pen"/> pixels wide (the pen's ink kept inside the square too); PNG-encoded.
    /// </summary>
    public static byte[] RenderPng(SKTypeface typeface, int digit, int side, double pen, double left, double top, double size)
    {
        ArgumentNullException.ThrowIfNull(typeface);
        if (digit is < 0 or > 9) throw new ArgumentOutOfRangeException(nameof(digit), digit, "a digit is 0 to 9");
        var text = digit.ToString(CultureInfo.InvariantCulture);
        const float Probe = 100;
        using var font = new SKFont(typeface, Probe);
        if (font.GetGlyphs(text) is not [not 0]) throw new InvalidOperationException($"the font {typeface.FamilyName} has no glyph for {text}");
        font.MeasureText(text, out var probe);
        if (probe.Width <= 0 || probe.Height <= 0) throw new InvalidOperationException($"the font {typeface.FamilyName} draws nothing for {text}");
        // The pen reaches half its width beyond the outline: the glyph gets the box less the pen.
        var scale = (float)(size - pen) / Math.Max(probe.Width, probe.Height);
        font.Size = Probe * scale;
        var (width, height) = (probe.Width * scale, probe.Height * scale);
        var x = (float)left + ((float)size - width) / 2 - probe.Left * scale;
        var y = (float)top + ((float)size - height) / 2 - probe.Top * scale;

        return DigitStrokes.RenderPad(side, pen, fill: true, (canvas, paint) => canvas.DrawText(text, x, y, SKTextAlign.Left, font, paint));
    }
}
