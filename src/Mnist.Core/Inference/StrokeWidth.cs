namespace Mnist.Core.Inference;

/// <summary>
/// Stroke thickness of an ink map (white on black, [0, 1]) and its adjustment. The width is
/// measured with an exact Euclidean distance transform: inside a stroke of width W the distance
/// to the edge is spread evenly over [0, W/2], so W = 4 × its mean over the ink. Thickening or
/// thinning moves the ink's edge along the same distance field, by the same amount everywhere,
/// so the shape of the digit stays what it was.
/// </summary>
public static class StrokeWidth
{
    /// <summary>Pixels at or above this value are ink.</summary>
    public const float Threshold = 0.5f;

    /// <summary>The mean stroke width in pixels; 0 when there is no ink.</summary>
    public static double Estimate(float[] ink, int w, int h)
    {
        var inside = DistanceTransform.Euclidean(ink, w, h, v => v < Threshold, outsideIsFeature: true);
        double sum = 0;
        var count = 0;
        for (var i = 0; i < ink.Length; i++)
        {
            if (ink[i] < Threshold) continue;
            sum += inside[i] - 0.5;
            count++;
        }
        return count == 0 ? 0 : 4 * sum / count;
    }

    /// <summary>
    /// Moves every edge of the ink outwards by <paramref name="delta"/> pixels (inwards when
    /// negative), with a one-pixel anti-aliased rim. The image keeps its size.
    /// </summary>
    public static float[] Offset(float[] ink, int w, int h, double delta)
    {
        var inside = DistanceTransform.Euclidean(ink, w, h, v => v < Threshold, outsideIsFeature: true);
        var outside = DistanceTransform.Euclidean(ink, w, h, v => v >= Threshold, outsideIsFeature: false);
        var result = new float[ink.Length];
        for (var i = 0; i < ink.Length; i++)
        {
            // Signed distance from the pixel's centre to the ink's edge: positive inside.
            var signed = ink[i] >= Threshold ? inside[i] - 0.5 : 0.5 - outside[i];
            result[i] = (float)Math.Clamp(signed + delta + 0.5, 0, 1);
        }
        return result;
    }
}

/// <summary>Exact Euclidean distance transform (Felzenszwalb and Huttenlocher, 2012).</summary>
public static class DistanceTransform
{
    private const double Infinity = 1e20;

    /// <summary>
    /// For each pixel, the distance to the nearest pixel for which <paramref name="isFeature"/>
    /// holds (0 on such pixels). <paramref name="outsideIsFeature"/> says whether the pixels just
    /// outside the image count as features (they are background: features when measuring the
    /// distance to the background, not when measuring the distance to the ink).
    /// </summary>
    public static double[] Euclidean(float[] image, int w, int h, Func<float, bool> isFeature, bool outsideIsFeature)
    {
        // Pad by one pixel on every side, standing for the outside of the image.
        int pw = w + 2, ph = h + 2;
        var f = new double[pw * ph];
        for (var y = 0; y < ph; y++)
        {
            for (var x = 0; x < pw; x++)
            {
                var border = x == 0 || y == 0 || x == pw - 1 || y == ph - 1;
                f[y * pw + x] = (border ? outsideIsFeature : isFeature(image[(y - 1) * w + x - 1])) ? 0 : Infinity;
            }
        }
        var n = Math.Max(pw, ph);
        var column = new double[n];
        var output = new double[n];
        var v = new int[n];
        var z = new double[n + 1];
        for (var x = 0; x < pw; x++)
        {
            for (var y = 0; y < ph; y++) column[y] = f[y * pw + x];
            Transform1D(column, ph, output, v, z);
            for (var y = 0; y < ph; y++) f[y * pw + x] = output[y];
        }
        for (var y = 0; y < ph; y++)
        {
            Array.Copy(f, y * pw, column, 0, pw);
            Transform1D(column, pw, output, v, z);
            Array.Copy(output, 0, f, y * pw, pw);
        }
        var result = new double[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++) result[y * w + x] = Math.Sqrt(f[(y + 1) * pw + x + 1]);
        }
        return result;
    }

    private static void Transform1D(double[] f, int n, double[] d, int[] v, double[] z)
    {
        var k = 0;
        v[0] = 0;
        z[0] = -Infinity;
        z[1] = Infinity;
        for (var q = 1; q < n; q++)
        {
            var s = Intersection(f, q, v[k]);
            while (s <= z[k])
            {
                k--;
                s = Intersection(f, q, v[k]);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = Infinity;
        }
        k = 0;
        for (var q = 0; q < n; q++)
        {
            while (z[k + 1] < q) k++;
            var dq = q - v[k];
            d[q] = (double)dq * dq + f[v[k]];
        }
    }

    /// <summary>Where the parabolas rooted at q and p intersect (z[0] = -infinity stops the scan).</summary>
    private static double Intersection(double[] f, int q, int p) =>
        (f[q] + (double)q * q - (f[p] + (double)p * p)) / (2.0 * q - 2.0 * p);
}
