using System.Globalization;
using System.Text;
using Mnist.Core.Data;
using Mnist.Core.Inference;
using Mnist.Samples;

namespace Mnist.Bench;

/// <summary>One row of the drawn-digits experiment: how many were read right, with and without stroke normalisation.</summary>
public sealed record DrawnRow(string Case, int Count, double AccuracyAsIs, double AccuracyNormalized);

/// <summary>
/// How well the served model reads digits drawn on a pad rather than scanned as MNIST was:
/// (1) the ten digit trajectories of the browser tests, drawn with pens from hairline to
/// marker at four sizes and places on a 280-pixel pad (what the page sends); (2) MNIST test
/// digits re-drawn as pen strokes of a chosen width (their shape thresholded at 8x, its edge
/// moved to the pen's half width), at a random size and place on the pad. Each image goes
/// through the shared preprocessing with and without stroke normalisation.
/// </summary>
public static class DrawnDigits
{
    /// <summary>The page sends its strokes re-drawn on a canvas of this many pixels a side.</summary>
    public const int Pad = 140;

    public static IReadOnlyList<DrawnRow> Run(Predictor predictor, LabeledImages test, int count, int seed)
    {
        var rows = new List<DrawnRow>();
        var placements = new (string Name, double Size, double Left, double Top)[]
        {
            ("large, centred", 100, 20, 20), ("filling the pad", 130, 5, 5), ("small, lower left", 45, 6, 88), ("tiny, upper right", 30, 102, 8),
        };
        foreach (var pen in new[] { 2.0, 4, 7, 12.5, 17 })
        {
            int asIs = 0, normalized = 0, n = 0;
            foreach (var (_, size, left, top) in placements)
            {
                for (var digit = 0; digit < 10; digit++)
                {
                    var (ink, w, h) = ImagePreprocessor.DecodeToInk(DigitStrokes.RenderPng(digit, Pad, pen, left, top, size), ImageLimits.Default);
                    n++;
                    if (predictor.Predict(ImagePreprocessor.FromInk(ink, w, h, normalizeStroke: false)).Index == digit) asIs++;
                    if (predictor.Predict(ImagePreprocessor.FromInk(ink, w, h)).Index == digit) normalized++;
                }
            }
            rows.Add(new DrawnRow(string.Create(CultureInfo.InvariantCulture, $"trajectories, pen {pen} px on a {Pad} px pad, 4 sizes and places"), n, (double)asIs / n, (double)normalized / n));
        }

        var rng = new Random(seed);
        count = Math.Min(count, test.Count);
        foreach (var ratio in new[] { 0.05, 0.08, 0.11, 0.16, 0.22 })
        {
            int asIs = 0, normalized = 0;
            for (var i = 0; i < count; i++)
            {
                var pad = Redraw(test.Image(i), ratio, rng);
                int label = test.Labels[i];
                if (predictor.Predict(ImagePreprocessor.FromInk(pad, Pad, Pad, normalizeStroke: false)).Index == label) asIs++;
                if (predictor.Predict(ImagePreprocessor.FromInk(pad, Pad, Pad)).Index == label) normalized++;
            }
            rows.Add(new DrawnRow(string.Create(CultureInfo.InvariantCulture, $"MNIST test digits re-drawn, pen {ratio:0.00} of the digit's size, random size 35-140 px and place"), count, (double)asIs / count, (double)normalized / count));
        }
        return rows;
    }

    /// <summary>An MNIST digit as if drawn with a round pen of the given width (a share of its size) somewhere on the pad.</summary>
    public static float[] Redraw(ReadOnlySpan<byte> image, double ratio, Random rng)
    {
        const int Up = 224;
        var grey = new float[image.Length];
        for (var i = 0; i < grey.Length; i++) grey[i] = image[i] / 255f;
        var up = Resampler.Resize(grey, 28, 28, Up, Up);
        var shape = up.Select(v => v >= StrokeWidth.Threshold ? 1f : 0f).ToArray();
        int x0 = Up, y0 = Up, x1 = -1, y1 = -1;
        for (var y = 0; y < Up; y++)
        {
            for (var x = 0; x < Up; x++)
            {
                if (shape[y * Up + x] == 0) continue;
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
        }
        var side = Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        var width = StrokeWidth.Estimate(shape, Up, Up);
        var delta = Math.Max((ratio * side - width) / (2 * (1 - ratio)), 1 - width / 2);
        var pen = StrokeWidth.Offset(shape, Up, Up, delta);
        var size = rng.Next(Pad / 4, Pad + 1);
        var small = Resampler.Resize(pen, Up, Up, size, size);
        var pad = new float[Pad * Pad];
        int ox = rng.Next(0, Pad - size + 1), oy = rng.Next(0, Pad - size + 1);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++) pad[(oy + y) * Pad + ox + x] = Math.Clamp(small[y * size + x], 0f, 1f);
        }
        return pad;
    }

    public static string ToMarkdown(IReadOnlyList<DrawnRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| drawn digits | images | read right, preprocessing without stroke normalisation | read right, with it (what `predict` and the page do) |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Case} | {r.Count} | {r.AccuracyAsIs * 100:0.0}% | {r.AccuracyNormalized * 100:0.0}% |"));
        }
        return sb.ToString();
    }
}
