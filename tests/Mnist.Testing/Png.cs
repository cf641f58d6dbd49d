using SkiaSharp;

namespace Mnist.Testing;

/// <summary>Encodes test pictures with SkiaSharp.</summary>
public static class Png
{
    /// <summary>A grey image (row-major bytes) as PNG or JPEG.</summary>
    public static byte[] EncodeGrey(ReadOnlySpan<byte> pixels, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png, bool invert = false)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = pixels[y * width + x];
                if (invert) v = (byte)(255 - v);
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        }
        return Encode(bitmap, format);
    }

    /// <summary>Draws on a canvas of the given size and encodes it.</summary>
    public static byte[] Draw(int width, int height, SKColor background, Action<SKCanvas> draw, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(background);
            draw(canvas);
        }
        return Encode(bitmap, format);
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        return data.ToArray();
    }
}
