namespace Mnist.Bench;

/// <summary>
/// Distortions of a grey image (row-major floats, 0 = background): each keeps the image's size,
/// samples it bilinearly where it moves pixels (background outside the image), and at zero
/// strength returns the image as it was.
/// </summary>
public static class Distortions
{
    /// <summary>The image in the middle of a field <paramref name="margin"/> pixels larger on every side, so that a distortion does not push ink out of it.</summary>
    public static float[] Pad(ReadOnlySpan<float> image, int w, int h, int margin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(margin);
        var pw = w + 2 * margin;
        var padded = new float[pw * (h + 2 * margin)];
        for (var y = 0; y < h; y++) image.Slice(y * w, w).CopyTo(padded.AsSpan((y + margin) * pw + margin, w));
        return padded;
    }

    /// <summary>
    /// Simard, Steinkraus and Platt (2003), <i>Best practices for convolutional neural networks
    /// applied to visual document analysis</i>: a displacement field of uniform random values in
    /// [-1, 1] for x and y, smoothed with a Gaussian of standard deviation <paramref name="sigma"/>
    /// pixels (zero outside the image, the kernel cut at 4σ), scaled by <paramref name="alpha"/>; each
    /// pixel takes the value at its displaced position. α = 0 gives the image itself.
    /// </summary>
    public static float[] Elastic(float[] image, int w, int h, double alpha, double sigma, Random rng)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        var dx = new double[w * h];
        var dy = new double[w * h];
        for (var i = 0; i < dx.Length; i++)
        {
            dx[i] = rng.NextDouble() * 2 - 1;
            dy[i] = rng.NextDouble() * 2 - 1;
        }
        dx = Smooth(dx, w, h, sigma);
        dy = Smooth(dy, w, h, sigma);
        var result = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var i = y * w + x;
                result[i] = Sample(image, w, h, x + alpha * dx[i], y + alpha * dy[i]);
            }
        }
        return result;
    }

    /// <summary>
    /// Slants the image by <paramref name="degrees"/> (a horizontal shear about its middle row):
    /// positive leans the top to the right, as right-slanted handwriting does. 0 gives the image itself.
    /// </summary>
    public static float[] Slant(float[] image, int w, int h, double degrees)
    {
        ArgumentNullException.ThrowIfNull(image);
        var shear = Math.Tan(degrees * Math.PI / 180);
        var middle = (h - 1) / 2.0;
        var result = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            var shift = shear * (middle - y);
            for (var x = 0; x < w; x++) result[y * w + x] = Sample(image, w, h, x - shift, y);
        }
        return result;
    }

    /// <summary>
    /// Grey-scale dilation (positive <paramref name="pixels"/>: thicker strokes) or erosion
    /// (negative: thinner), that many times with the 3x3 cross: each pixel becomes the largest
    /// (smallest) value of itself and its four neighbours, the outside counting as background.
    /// 0 gives the image itself.
    /// </summary>
    public static float[] Morph(float[] image, int w, int h, int pixels)
    {
        ArgumentNullException.ThrowIfNull(image);
        var current = (float[])image.Clone();
        for (var step = 0; step < Math.Abs(pixels); step++)
        {
            var next = new float[w * h];
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var v = current[y * w + x];
                    foreach (var (nx, ny) in (ReadOnlySpan<(int, int)>)[(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)])
                    {
                        var n = nx >= 0 && nx < w && ny >= 0 && ny < h ? current[ny * w + nx] : 0f;
                        v = pixels > 0 ? Math.Max(v, n) : Math.Min(v, n);
                    }
                    next[y * w + x] = v;
                }
            }
            current = next;
        }
        return current;
    }

    /// <summary>The image's value at a point between pixels, interpolated bilinearly; background outside.</summary>
    private static float Sample(float[] image, int w, int h, double x, double y)
    {
        var x0 = (int)Math.Floor(x);
        var y0 = (int)Math.Floor(y);
        var fx = x - x0;
        var fy = y - y0;
        float At(int px, int py) => px >= 0 && px < w && py >= 0 && py < h ? image[py * w + px] : 0f;
        var top = At(x0, y0) * (1 - fx) + At(x0 + 1, y0) * fx;
        var bottom = At(x0, y0 + 1) * (1 - fx) + At(x0 + 1, y0 + 1) * fx;
        return (float)(top * (1 - fy) + bottom * fy);
    }

    /// <summary>A separable Gaussian blur, zero outside the field, the kernel cut at 4σ and summing to 1.</summary>
    private static double[] Smooth(double[] field, int w, int h, double sigma)
    {
        var radius = (int)Math.Ceiling(4 * sigma);
        var kernel = new double[2 * radius + 1];
        for (var k = -radius; k <= radius; k++) kernel[k + radius] = Math.Exp(-k * k / (2 * sigma * sigma));
        var total = kernel.Sum();
        for (var k = 0; k < kernel.Length; k++) kernel[k] /= total;

        return Convolve(Convolve(field, w, h, kernel, alongRows: true), w, h, kernel, alongRows: false);
    }

    /// <summary>The field convolved with a 1-D kernel (odd length, centred) along its rows or its columns, zero outside.</summary>
    private static double[] Convolve(double[] field, int w, int h, double[] kernel, bool alongRows)
    {
        var radius = kernel.Length / 2;
        var (length, step) = alongRows ? (w, 1) : (h, w);
        var result = new double[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var at = alongRows ? x : y;
                double sum = 0;
                for (var k = Math.Max(-radius, -at); k <= Math.Min(radius, length - 1 - at); k++) sum += kernel[k + radius] * field[y * w + x + k * step];
                result[y * w + x] = sum;
            }
        }
        return result;
    }
}
