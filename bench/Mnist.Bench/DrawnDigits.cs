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

    /// <summary>Where the trajectories are drawn on the pad: the digit's box (size, left, top) in pixels.</summary>
    public static IReadOnlyList<(string Name, double Size, double Left, double Top)> Placements { get; } =
    [
        ("large, centred", 100, 20, 20), ("filling the pad", 130, 5, 5), ("small, lower left", 45, 6, 88), ("tiny, upper right", 30, 102, 8),
    ];

    /// <summary>The trajectories' pen widths in pixels on the pad: hairline to marker.</summary>
    public static IReadOnlyList<double> Pens { get; } = [2.0, 4, 7, 12.5, 17];

    /// <summary>The re-drawn MNIST digits' pen widths, as a share of the digit's size.</summary>
    public static IReadOnlyList<double> Ratios { get; } = [0.05, 0.08, 0.11, 0.16, 0.22];

    public static IReadOnlyList<DrawnRow> Run(Predictor predictor, LabeledImages test, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(test);
        var rows = new List<DrawnRow>();
        foreach (var pen in Pens) rows.Add(Score(predictor, TrajectoriesName(pen), Trajectories(pen)));

        // One generator for all the re-drawn rows, in turn: the images of the documented tables.
        var rng = new Random(seed);
        foreach (var ratio in Ratios) rows.Add(Score(predictor, RedrawnName("test", ratio), Redrawn(test, count, ratio, rng)));
        return rows;
    }

    /// <summary>The name of the trajectories' row for a pen.</summary>
    public static string TrajectoriesName(double pen) =>
        string.Create(CultureInfo.InvariantCulture, $"trajectories, pen {pen} px on a {Pad} px pad, 4 sizes and places");

    /// <summary>The name of the re-drawn digits' row for a pen; <paramref name="source"/> is the MNIST split they come from.</summary>
    public static string RedrawnName(string source, double ratio) =>
        string.Create(CultureInfo.InvariantCulture, $"MNIST {source} digits re-drawn, pen {ratio:0.00} of the digit's size, random size 35-140 px and place");

    /// <summary>
    /// The ten trajectories drawn with a round pen <paramref name="pen"/> pixels wide at each of the
    /// <see cref="Placements"/>, as the server decodes the page's PNG: the ink on the pad.
    /// </summary>
    public static IEnumerable<LabeledInk> Trajectories(double pen)
    {
        foreach (var (_, size, left, top) in Placements)
        {
            for (var digit = 0; digit < 10; digit++)
            {
                var (ink, w, h) = ImagePreprocessor.DecodeToInk(DigitStrokes.RenderPng(digit, Pad, pen, left, top, size), ImageLimits.Default);
                yield return new LabeledInk(ink, w, h, digit);
            }
        }
    }

    /// <summary>The first <paramref name="count"/> images re-drawn with a pen of the given share of their size (<see cref="Redraw"/>), each somewhere on the pad.</summary>
    public static IEnumerable<LabeledInk> Redrawn(LabeledImages images, int count, double ratio, Random rng)
    {
        ArgumentNullException.ThrowIfNull(images);
        count = Math.Min(count, images.Count);
        for (var i = 0; i < count; i++) yield return new LabeledInk(Redraw(images.Image(i), ratio, rng), Pad, Pad, images.Labels[i]);
    }

    private static DrawnRow Score(Predictor predictor, string name, IEnumerable<LabeledInk> images)
    {
        int asIs = 0, normalized = 0, n = 0;
        foreach (var image in images)
        {
            n++;
            if (predictor.Predict(ImagePreprocessor.FromInk(image.Ink, image.Width, image.Height, normalizeStroke: false)).Index == image.Label) asIs++;
            if (predictor.Predict(ImagePreprocessor.FromInk(image.Ink, image.Width, image.Height)).Index == image.Label) normalized++;
        }
        return new DrawnRow(name, n, (double)asIs / n, (double)normalized / n);
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
