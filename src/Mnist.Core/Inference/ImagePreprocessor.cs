using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Mnist.Core.Inference;

public enum ImageProblem
{
    /// <summary>Not an image Skia can decode (PNG, JPEG, ...), or corrupt.</summary>
    Undecodable,

    /// <summary>Dimensions over the limit, refused before decoding.</summary>
    TooLarge,

    /// <summary>Decoded, but blank: nothing to read.</summary>
    NoInk,
}

/// <summary>An image that cannot be turned into a model input; the message says why.</summary>
public sealed class ImageRejectedException(ImageProblem problem, string message) : Exception(message)
{
    public ImageProblem Problem { get; } = problem;
}

/// <summary>Limits checked on the image header, before any pixel is decoded.</summary>
public sealed record ImageLimits(int MaxSide = 8192, long MaxPixels = 25_000_000)
{
    public static ImageLimits Default { get; } = new();
}

/// <summary>
/// Turns any picture of a digit into what MNIST's own images look like, the preprocessing of
/// LeCun et al.: grey, ink made white on black, cropped to the ink, scaled (anti-aliased) to
/// fit a 20x20 box keeping the aspect ratio, and placed in a 28x28 field with its centre of mass
/// at the centre. Output: 784 floats in [0, 1], row-major, the model input before normalisation.
/// </summary>
public static class ImagePreprocessor
{
    public const int Size = 28;
    public const int Box = 20;

    /// <summary>The noise floor never exceeds this share of the ink's range.</summary>
    public const float MaxNoiseFloor = 0.3f;

    /// <summary>Decodes a PNG or JPEG (or anything Skia reads) and preprocesses it.</summary>
    public static float[] FromEncoded(byte[] encoded, ImageLimits? limits = null)
    {
        var (ink, w, h) = DecodeToInk(encoded, limits ?? ImageLimits.Default);
        return FromInk(ink, w, h);
    }

    /// <summary>Decodes an image into an ink map (white on black, [0, 1]) of its own size.</summary>
    public static (float[] Ink, int Width, int Height) DecodeToInk(byte[] encoded, ImageLimits limits)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new ImageRejectedException(ImageProblem.Undecodable,
            encoded.Length == 0 ? "the image is empty (0 bytes)" : "not a decodable image: expected PNG or JPEG data");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageRejectedException(ImageProblem.Undecodable, $"the image has no pixels ({info.Width}x{info.Height})");
        }
        if (info.Width > limits.MaxSide || info.Height > limits.MaxSide || (long)info.Width * info.Height > limits.MaxPixels)
        {
            throw new ImageRejectedException(ImageProblem.TooLarge,
                $"the image is {info.Width}x{info.Height}; the limit is {limits.MaxSide} pixels a side and {limits.MaxPixels} pixels in all");
        }
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var n = info.Width * info.Height;
        // The pixels go into a pooled buffer (a request's largest allocation otherwise).
        var buffer = ArrayPool<byte>.Shared.Rent(n * 4);
        var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(target, pin.AddrOfPinnedObject());
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            {
                throw new ImageRejectedException(ImageProblem.Undecodable, $"the image could not be decoded ({result})");
            }
            return (ToInk(buffer.AsSpan(0, n * 4), info.Width, info.Height), info.Width, info.Height);
        }
        finally
        {
            pin.Free();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Ink as white on black. Transparent images: the alpha channel is the ink, whatever colour
    /// the strokes are. Opaque images: the border's median brightness tells the polarity (a light
    /// border means dark ink).
    /// </summary>
    private static float[] ToInk(ReadOnlySpan<byte> rgba, int w, int h)
    {
        var n = w * h;
        var translucent = false;
        for (var i = 3; i < rgba.Length; i += 4) translucent |= rgba[i] < 250;
        var ink = GC.AllocateUninitializedArray<float>(n);
        if (translucent)
        {
            for (var i = 0; i < n; i++) ink[i] = rgba[i * 4 + 3] / 255f;
            return ink;
        }
        for (var i = 0; i < n; i++)
        {
            var p = i * 4;
            ink[i] = (0.299f * rgba[p] + 0.587f * rgba[p + 1] + 0.114f * rgba[p + 2]) / 255f;
        }
        if (Median(Border(ink, w, h)) > 0.5f)
        {
            for (var i = 0; i < n; i++) ink[i] = 1f - ink[i];
        }
        return ink;
    }

    /// <summary>
    /// MNIST's stroke width as a share of the digit's longer side: the median over the test set,
    /// measured at 8x resolution; see <see cref="NormalizeStroke"/>.
    /// </summary>
    public const double TargetStroke = 0.118;

    /// <summary>Stroke widths from MNIST's 10th to its 90th percentile (0.086 to 0.174) are left alone: its own spread.</summary>
    public const double MinStroke = 0.085;
    public const double MaxStroke = 0.175;

    /// <summary>
    /// A small ink is thickened when its stroke, measured from its grey levels, is under this share
    /// of its size: about MNIST's 2nd percentile by that measure (its 1st is 0.072, its 5th 0.082,
    /// its median 0.119; a digit eroded by a pixel measures 0.068 in the median). Chosen on the
    /// validation split (docs/robustness.md): at <see cref="MinStroke"/> the slanted rows lost up
    /// to 0.5 points, MNIST's own thin digits being thickened too.
    /// </summary>
    public const double MinSmallStroke = 0.075;

    /// <summary>
    /// Below this many pixels on the ink's longer side the distance transform cannot measure the
    /// width well: such an ink is only thickened when it is a hairline, measured from its grey levels.
    /// </summary>
    public const int MinSideForStroke = 40;

    /// <summary>
    /// The ink is measured and adjusted at most this many pixels on its longer side: enough for the
    /// stroke width (a 20-pixel digit at 4.8x), and the same cost whatever the input's size.
    /// </summary>
    public const int WorkingSide = 96;

    /// <summary>From an ink map (white on black, any size) to the 28x28 model input.</summary>
    public static float[] FromInk(float[] ink, int w, int h, bool normalizeStroke = true)
    {
        var clean = Clean(ink, w, h);
        var (x0, y0, cw, ch) = InkBox(clean, w, h);
        var crop = Crop(clean, w, h, x0, y0, cw, ch);
        if (Math.Max(cw, ch) > WorkingSide)
        {
            var reduce = (double)WorkingSide / Math.Max(cw, ch);
            var (rw, rh) = (Math.Max(1, (int)Math.Round(cw * reduce)), Math.Max(1, (int)Math.Round(ch * reduce)));
            crop = Resampler.Resize(crop, cw, ch, rw, rh);
            (cw, ch) = (rw, rh);
        }
        if (normalizeStroke) (crop, cw, ch) = NormalizeStroke(crop, cw, ch);

        var (small, nw, nh) = FitToBox(crop, cw, ch);

        // Centre of mass onto pixel (14, 14), where MNIST's own digits have theirs (measured on
        // the test set: mean centre of mass 14.0 in pixel indices).
        double mass = 0, mx = 0, my = 0;
        for (var y = 0; y < nh; y++)
        {
            for (var x = 0; x < nw; x++)
            {
                var v = small[y * nw + x];
                mass += v; mx += v * x; my += v * y;
            }
        }
        var ox = Math.Clamp((int)Math.Round(Size / 2 - mx / mass), 0, Size - nw);
        var oy = Math.Clamp((int)Math.Round(Size / 2 - my / mass), 0, Size - nh);
        var output = new float[Size * Size];
        for (var y = 0; y < nh; y++)
        {
            for (var x = 0; x < nw; x++) output[(oy + y) * Size + ox + x] = Math.Clamp(small[y * nw + x], 0f, 1f);
        }
        return output;
    }

    /// <summary>The ink scaled so that its longer side is <see cref="Box"/> pixels, keeping the aspect ratio.</summary>
    private static (float[] Image, int W, int H) FitToBox(float[] crop, int w, int h)
    {
        var scale = (double)Box / Math.Max(w, h);
        var nw = Math.Clamp((int)Math.Round(w * scale), 1, Box);
        var nh = Math.Clamp((int)Math.Round(h * scale), 1, Box);
        return (Resampler.Resize(crop, w, h, nw, nh), nw, nh);
    }

    /// <summary>
    /// Removes the background level and stretches the ink to [0, 1]. The noise floor is what the
    /// border shows above the background: zero for a clean drawing or MNIST's own images (so their
    /// faint anti-aliased edges are kept), higher for scans and photos.
    /// </summary>
    private static float[] Clean(float[] ink, int w, int h)
    {
        var border = Border(ink, w, h);
        var background = Median(border);
        var peak = float.MinValue;
        foreach (var v in ink) peak = Math.Max(peak, v);
        var range = peak - background;
        if (range < 0.08f) throw new ImageRejectedException(ImageProblem.NoInk, "the image has no ink: it is blank or has too little contrast");
        var noise = border.Select(v => (v - background) / range).ToArray();
        Array.Sort(noise);
        var floor = Math.Clamp(noise[(int)(noise.Length * 0.98)], 0f, MaxNoiseFloor);
        var clean = new float[ink.Length];
        for (var i = 0; i < ink.Length; i++)
        {
            var v = (ink[i] - background) / range;
            clean[i] = v <= floor ? 0f : Math.Min(v, 1f);
        }
        return clean;
    }

    /// <summary>The ink's bounding box, faint anti-aliased edges included (as MNIST's 20x20 box is).</summary>
    private static (int X, int Y, int W, int H) InkBox(float[] clean, int w, int h)
    {
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                if (clean[y * w + x] > 0f)
                {
                    x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                    y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                }
            }
        }
        if (x1 < 0) throw new ImageRejectedException(ImageProblem.NoInk, "the image has no ink: it is blank or has too little contrast");
        return (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    /// <summary>
    /// Gives the strokes MNIST's proportions. A digit drawn with a thin pen on a large pad, or a
    /// thick pen on a small one, would otherwise reach the model as a hairline or a blob, which
    /// MNIST never showed it. The width is measured where the ink has enough pixels for it; when
    /// it is outside MNIST's usual spread, every edge moves by the same distance so that the
    /// width becomes <see cref="TargetStroke"/> of the digit's size (the size grows with it).
    /// </summary>
    private static (float[] Crop, int W, int H) NormalizeStroke(float[] crop, int w, int h)
    {
        var side = Math.Max(w, h);
        if (side < MinSideForStroke) return ThickenSmallHairline(crop, w, h);
        var width = StrokeWidth.Estimate(crop, w, h);
        if (width <= 0) return (crop, w, h);
        var ratio = width / side;
        if (ratio is >= MinStroke and <= MaxStroke) return (crop, w, h);

        // Moving every edge by delta widens the stroke by 2 delta and the digit by 2 delta.
        var delta = (TargetStroke * side - width) / (2 * (1 - TargetStroke));
        delta = Math.Max(delta, 1 - width / 2);
        var margin = (int)Math.Ceiling(Math.Max(delta, 0)) + 2;
        var (pw, ph) = (w + 2 * margin, h + 2 * margin);
        var adjusted = StrokeWidth.Offset(Crop(crop, w, h, -margin, -margin, pw, ph), pw, ph, delta);
        var (x0, y0, cw, ch) = InkBox(adjusted, pw, ph);
        return (Crop(adjusted, pw, ph, x0, y0, cw, ch), cw, ch);
    }

    /// <summary>
    /// The small inks' half of <see cref="NormalizeStroke"/>: an ink under
    /// <see cref="MinSideForStroke"/> pixels (MNIST's own size, a digit drawn small) whose strokes
    /// are hairlines (under <see cref="MinSmallStroke"/>) is thickened to <see cref="TargetStroke"/>; any other
    /// is left as it is. Too few pixels for a threshold: the width comes from the grey levels
    /// (<see cref="StrokeWidth.EstimateFromEdges"/>), and the ink is upsampled to about
    /// <see cref="WorkingSide"/> pixels and dilated in grey levels (<see cref="StrokeWidth.Dilate"/>),
    /// a step being a fraction of an input pixel, so faint strokes widen instead of vanishing
    /// (a threshold at <see cref="StrokeWidth.Threshold"/> loses an eroded MNIST stroke), then
    /// brought to MNIST's ink level (<see cref="RaiseInkLevel"/>).
    /// </summary>
    private static (float[] Crop, int W, int H) ThickenSmallHairline(float[] crop, int w, int h)
    {
        var side = Math.Max(w, h);
        var width = StrokeWidth.EstimateFromEdges(crop, w, h);
        if (width <= 0 || width / side >= MinSmallStroke) return (crop, w, h);

        var factor = Math.Max(1, WorkingSide / side);
        // As in NormalizeStroke; a grey dilation by one pixel widens the measured stroke by two.
        var delta = (TargetStroke * side - width) / (2 * (1 - TargetStroke));
        var steps = (int)Math.Round(delta * factor);
        if (steps == 0) return (crop, w, h);
        var (uw, uh) = (w * factor, h * factor);
        var up = Resampler.Resize(crop, w, h, uw, uh);
        var margin = steps + 1;
        var (pw, ph) = (uw + 2 * margin, uh + 2 * margin);
        var thick = StrokeWidth.Dilate(Crop(up, uw, uh, -margin, -margin, pw, ph), pw, ph, steps);
        var (x0, y0, cw, ch) = InkBox(thick, pw, ph);
        // The level is MNIST's at MNIST's size: measured and raised on the ink as the model gets it.
        var (boxed, bw, bh) = FitToBox(Crop(thick, pw, ph, x0, y0, cw, ch), cw, ch);
        RaiseInkLevel(boxed);
        return (boxed, bw, bh);
    }

    /// <summary>
    /// The ink level of MNIST's digits: over its first 6,000 training digits, the median of each
    /// digit's median ink pixel (pixels above <see cref="InkFloor"/>) is 0.894 (10th percentile 0.75).
    /// </summary>
    public const float InkLevel = 0.89f;

    /// <summary>Pixels above this value count as ink when its level is measured.</summary>
    public const float InkFloor = 0.1f;

    /// <summary>
    /// A hairline is also faint (its anti-aliased pixels are partly covered; an eroded stroke keeps
    /// only the faintest value of each neighbourhood): the dilated ink is brightened, in place, by
    /// the gain that takes its median ink pixel to <see cref="InkLevel"/>, clipped at 1 (one pass:
    /// the faint rim it lifts above <see cref="InkFloor"/> then counts as ink too, so the result
    /// measures lower, about 0.7).
    /// An ink at that level or brighter is left alone.
    /// </summary>
    private static void RaiseInkLevel(float[] ink)
    {
        var inked = ink.Where(v => v > InkFloor).ToArray();
        if (inked.Length == 0) return;
        Array.Sort(inked);
        var median = inked[inked.Length / 2];
        if (median >= InkLevel) return;
        var gain = InkLevel / median;
        for (var i = 0; i < ink.Length; i++) ink[i] = Math.Min(1f, ink[i] * gain);
    }

    /// <summary>A window of the image; pixels outside it are background.</summary>
    private static float[] Crop(float[] image, int w, int h, int x0, int y0, int cw, int ch)
    {
        var crop = new float[cw * ch];
        for (var y = 0; y < ch; y++)
        {
            var sy = y0 + y;
            if (sy < 0 || sy >= h) continue;
            for (var x = 0; x < cw; x++)
            {
                var sx = x0 + x;
                if (sx >= 0 && sx < w) crop[y * cw + x] = image[sy * w + sx];
            }
        }
        return crop;
    }

    private static float[] Border(float[] v, int w, int h)
    {
        var border = new List<float>(2 * (w + h));
        for (var x = 0; x < w; x++) { border.Add(v[x]); border.Add(v[(h - 1) * w + x]); }
        for (var y = 1; y < h - 1; y++) { border.Add(v[y * w]); border.Add(v[y * w + w - 1]); }
        return [.. border];
    }

    private static float Median(float[] values)
    {
        var copy = (float[])values.Clone();
        Array.Sort(copy);
        return copy[copy.Length / 2];
    }
}
