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
        using var bitmap = new SKBitmap(target);
        var result = codec.GetPixels(target, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            throw new ImageRejectedException(ImageProblem.Undecodable, $"the image could not be decoded ({result})");
        }
        var rgba = bitmap.GetPixelSpan();
        var n = info.Width * info.Height;
        var luma = new float[n];
        var alpha = new float[n];
        var translucent = false;
        for (var i = 0; i < n; i++)
        {
            var p = i * 4;
            luma[i] = (0.299f * rgba[p] + 0.587f * rgba[p + 1] + 0.114f * rgba[p + 2]) / 255f;
            alpha[i] = rgba[p + 3] / 255f;
            translucent |= rgba[p + 3] < 250;
        }
        return (ToInk(luma, alpha, translucent, info.Width, info.Height), info.Width, info.Height);
    }

    /// <summary>
    /// Ink as white on black. Opaque images: the border's median brightness tells the
    /// polarity (a light border means dark ink). Transparent images: the alpha channel is the
    /// ink, whatever colour the strokes are.
    /// </summary>
    private static float[] ToInk(float[] luma, float[] alpha, bool translucent, int w, int h)
    {
        var ink = new float[luma.Length];
        if (translucent)
        {
            for (var i = 0; i < ink.Length; i++) ink[i] = alpha[i];
            return ink;
        }
        var invert = Median(Border(luma, w, h)) > 0.5f;
        for (var i = 0; i < ink.Length; i++) ink[i] = invert ? 1f - luma[i] : luma[i];
        return ink;
    }

    /// <summary>From an ink map (white on black, any size) to the 28x28 model input.</summary>
    public static float[] FromInk(float[] ink, int w, int h)
    {
        // Remove the background level and stretch the ink to [0, 1]. The noise floor is what the
        // border shows above the background: zero for a clean drawing or MNIST's own images (so
        // their faint anti-aliased edges are kept), higher for scans and photos.
        var border = Border(ink, w, h);
        var background = Median(border);
        var peak = ink.Max();
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

        // Crop to the ink's bounding box, faint anti-aliased edges included (as MNIST's 20x20 box is).
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
        var cw = x1 - x0 + 1;
        var ch = y1 - y0 + 1;
        var crop = new float[cw * ch];
        for (var y = 0; y < ch; y++) Array.Copy(clean, (y0 + y) * w + x0, crop, y * cw, cw);

        // Fit the longer side to 20 pixels, keeping the aspect ratio.
        var scale = (double)Box / Math.Max(cw, ch);
        var nw = Math.Clamp((int)Math.Round(cw * scale), 1, Box);
        var nh = Math.Clamp((int)Math.Round(ch * scale), 1, Box);
        var small = Resampler.Resize(crop, cw, ch, nw, nh);

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
