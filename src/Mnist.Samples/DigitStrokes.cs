using SkiaSharp;

namespace Mnist.Samples;

/// <summary>
/// Pen trajectories of the ten digits, drawn the way people write them (a 4 in two strokes, an
/// 8 as two loops, a 9 as a loop and a tail), in a unit box with y pointing down. Tests replay
/// them as pointer strokes on the page and render them as images of any size and pen width.
/// </summary>
public static class DigitStrokes
{
    public static IReadOnlyList<IReadOnlyList<(double X, double Y)>> For(int digit) => digit switch
    {
        0 => [Arc(0.5, 0.5, 0.28, 0.44, -90, 275)],
        1 => [Line((0.42, 0.18), (0.58, 0.04), (0.55, 0.96))],
        2 => [Join(Arc(0.5, 0.3, 0.28, 0.26, 200, 375), Line((0.77, 0.38), (0.18, 0.95), (0.86, 0.94)))],
        3 => [Join(Arc(0.48, 0.27, 0.26, 0.23, 205, 450), Arc(0.48, 0.72, 0.3, 0.24, -90, 155))],
        4 => [Line((0.52, 0.04), (0.14, 0.62), (0.86, 0.62)), Line((0.66, 0.3), (0.64, 0.97))],
        5 => [Join(Line((0.82, 0.05), (0.3, 0.05), (0.25, 0.44)), Arc(0.48, 0.67, 0.3, 0.29, -140, 150))],
        6 => [Join(Line((0.72, 0.04), (0.42, 0.3), (0.25, 0.62)), Arc(0.5, 0.7, 0.26, 0.25, 180, 540))],
        7 => [Line((0.14, 0.07), (0.86, 0.07), (0.4, 0.96))],
        8 => [Arc(0.5, 0.27, 0.21, 0.22, 90, 450), Arc(0.5, 0.72, 0.26, 0.24, -90, 270)],
        9 => [Join(Arc(0.48, 0.3, 0.24, 0.24, 0, -360), Line((0.72, 0.3), (0.66, 0.96)))],
        _ => throw new ArgumentOutOfRangeException(nameof(digit), digit, "a digit is 0 to 9"),
    };

    /// <summary>
    /// The strokes of <paramref name="digit"/> drawn white on black on a square pad of
    /// <paramref name="side"/> pixels, with a round pen <paramref name="penWidth"/> pixels wide,
    /// the digit's box at (<paramref name="left"/>, <paramref name="top"/>) and
    /// <paramref name="size"/> pixels tall; PNG-encoded.
    /// </summary>
    public static byte[] RenderPng(int digit, int side, double penWidth, double left, double top, double size) =>
        RenderPad(side, penWidth, fill: false, (canvas, paint) =>
        {
            foreach (var stroke in For(digit))
            {
                using var path = new SKPath();
                path.MoveTo((float)(left + stroke[0].X * size), (float)(top + stroke[0].Y * size));
                foreach (var (x, y) in stroke.Skip(1)) path.LineTo((float)(left + x * size), (float)(top + y * size));
                canvas.DrawPath(path, paint);
            }
        });

    /// <summary>
    /// A square pad of <paramref name="side"/> pixels, black, on which <paramref name="draw"/> draws
    /// in white with a round, anti-aliased pen <paramref name="penWidth"/> pixels wide (filling the
    /// shapes it draws too when <paramref name="fill"/>; a pen of 0 then only fills); PNG-encoded.
    /// </summary>
    public static byte[] RenderPad(int side, double penWidth, bool fill, Action<SKCanvas, SKPaint> draw)
    {
        ArgumentNullException.ThrowIfNull(draw);
        using var surface = SKSurface.Create(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.Black);
        using var paint = new SKPaint
        {
            Color = SKColors.White,
            IsAntialias = true,
            Style = !fill ? SKPaintStyle.Stroke : penWidth > 0 ? SKPaintStyle.StrokeAndFill : SKPaintStyle.Fill,
            StrokeWidth = (float)penWidth,
            StrokeCap = SKStrokeCap.Round,
            StrokeJoin = SKStrokeJoin.Round,
        };
        draw(canvas, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>An elliptical arc from one angle to another (degrees, clockwise on screen), sampled finely.</summary>
    private static List<(double, double)> Arc(double cx, double cy, double rx, double ry, double from, double to)
    {
        var steps = (int)Math.Ceiling(Math.Abs(to - from) / 6);
        return [.. Enumerable.Range(0, steps + 1).Select(i =>
        {
            var a = (from + (to - from) * i / steps) * Math.PI / 180;
            return (cx + rx * Math.Cos(a), cy + ry * Math.Sin(a));
        })];
    }

    /// <summary>Straight segments through the given points, sampled every 0.02.</summary>
    private static List<(double, double)> Line(params (double X, double Y)[] points)
    {
        var result = new List<(double, double)> { points[0] };
        for (var i = 1; i < points.Length; i++)
        {
            var (a, b) = (points[i - 1], points[i]);
            var n = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(Math.Pow(b.X - a.X, 2) + Math.Pow(b.Y - a.Y, 2)) / 0.02));
            for (var k = 1; k <= n; k++) result.Add((a.X + (b.X - a.X) * k / n, a.Y + (b.Y - a.Y) * k / n));
        }
        return result;
    }

    private static List<(double, double)> Join(List<(double, double)> a, List<(double, double)> b) => [.. a, .. b];
}
