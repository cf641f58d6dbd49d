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
        var inside = DistanceTransform.Euclidean(ink, w, h, Threshold, below: true, outsideIsFeature: true);
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
    /// The mean stroke width in pixels from the grey levels alone: twice the ink's mass over its
    /// total variation (a stroke of length L and width W has area L·W and an edge 2L long). It
    /// needs no threshold, so faint strokes and small, anti-aliased images (MNIST's own 20-pixel
    /// digits) are measured as well as bold ones, and a uniformly fainter ink measures the same.
    /// 0 when there is no ink.
    /// </summary>
    public static double EstimateFromEdges(float[] ink, int w, int h)
    {
        ArgumentNullException.ThrowIfNull(ink);
        double mass = 0, variation = 0;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var v = ink[y * w + x];
                var right = x + 1 < w ? ink[y * w + x + 1] : 0f;
                var down = y + 1 < h ? ink[(y + 1) * w + x] : 0f;
                mass += v;
                variation += Math.Sqrt((double)(right - v) * (right - v) + (double)(down - v) * (down - v));
                // The edges along the image's top and left sides, against the background outside.
                if (x == 0) variation += v;
                if (y == 0) variation += v;
            }
        }
        return variation == 0 ? 0 : 2 * mass / variation;
    }

    /// <summary>
    /// Grey-scale dilation, <paramref name="steps"/> times: each pixel becomes the largest value of
    /// its neighbourhood, the 3x3 cross and the 3x3 square in turn (their succession grows an
    /// octagon, close to a disc), the outside counting as background. Every grey level keeps its
    /// value and moves outwards by one pixel a step, so faint strokes widen without being
    /// binarised. The image keeps its size; 0 steps give a copy.
    /// </summary>
    public static float[] Dilate(float[] ink, int w, int h, int steps)
    {
        ArgumentNullException.ThrowIfNull(ink);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var current = (float[])ink.Clone();
        for (var step = 0; step < steps; step++)
        {
            var square = step % 2 == 1;
            var next = new float[w * h];
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var v = current[y * w + x];
                    for (var dy = -1; dy <= 1; dy++)
                    {
                        var ny = y + dy;
                        if (ny < 0 || ny >= h) continue;
                        for (var dx = -1; dx <= 1; dx++)
                        {
                            var nx = x + dx;
                            if (nx < 0 || nx >= w || (!square && dx != 0 && dy != 0)) continue;
                            v = Math.Max(v, current[ny * w + nx]);
                        }
                    }
                    next[y * w + x] = v;
                }
            }
            current = next;
        }
        return current;
    }

    /// <summary>
    /// Moves every edge of the ink outwards by <paramref name="delta"/> pixels (inwards when
    /// negative), with a one-pixel anti-aliased rim. The image keeps its size.
    /// </summary>
    public static float[] Offset(float[] ink, int w, int h, double delta)
    {
        var inside = DistanceTransform.Euclidean(ink, w, h, Threshold, below: true, outsideIsFeature: true);
        var outside = DistanceTransform.Euclidean(ink, w, h, Threshold, below: false, outsideIsFeature: false);
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
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(isFeature);
        var features = new bool[w * h];
        for (var i = 0; i < features.Length; i++) features[i] = isFeature(image[i]);
        return Euclidean(features, w, h, outsideIsFeature);
    }

    /// <summary>The distance to the nearest pixel at or above (or, when <paramref name="below"/>, under) a threshold.</summary>
    public static double[] Euclidean(float[] image, int w, int h, float threshold, bool below, bool outsideIsFeature)
    {
        ArgumentNullException.ThrowIfNull(image);
        var features = new bool[w * h];
        for (var i = 0; i < features.Length; i++) features[i] = image[i] < threshold == below;
        return Euclidean(features, w, h, outsideIsFeature);
    }

    private static double[] Euclidean(bool[] features, int w, int h, bool outsideIsFeature)
    {
        // Pad by one pixel on every side, standing for the outside of the image.
        int pw = w + 2, ph = h + 2;
        bool Feature(int x, int y) => x == 0 || y == 0 || x == pw - 1 || y == ph - 1 ? outsideIsFeature : features[(y - 1) * w + x - 1];

        // Along the columns the input is binary, so the first pass is the distance to the nearest
        // feature above or below, in two sweeps over whole rows (the parabola envelope of the
        // general algorithm gives the same squared distances, at a higher cost).
        var reach = new int[pw * ph];
        for (var x = 0; x < pw; x++) reach[x] = Feature(x, 0) ? 0 : None;
        for (var y = 1; y < ph; y++)
        {
            for (var x = 0; x < pw; x++)
            {
                var above = reach[(y - 1) * pw + x];
                reach[y * pw + x] = Feature(x, y) ? 0 : above == None ? None : above + 1;
            }
        }
        var f = new double[pw * ph];
        for (var x = 0; x < pw; x++) f[(ph - 1) * pw + x] = Square(reach[(ph - 1) * pw + x]);
        for (var y = ph - 2; y >= 0; y--)
        {
            for (var x = 0; x < pw; x++)
            {
                var below = reach[(y + 1) * pw + x];
                if (below != None && below + 1 < reach[y * pw + x]) reach[y * pw + x] = below + 1;
                f[y * pw + x] = Square(reach[y * pw + x]);
            }
        }

        // Along the rows: the lower envelope of parabolas rooted at each pixel's column distance.
        var output = new double[pw];
        var v = new int[pw];
        var z = new double[pw + 1];
        var result = new double[w * h];
        for (var y = 1; y < ph - 1; y++)
        {
            var row = f.AsSpan(y * pw, pw);
            Transform1D(row, output, v, z);
            for (var x = 0; x < w; x++) result[(y - 1) * w + x] = Math.Sqrt(output[x + 1]);
        }
        return result;
    }

    private static double Square(int distance) => distance == None ? Infinity : (double)distance * distance;

    private const int None = int.MaxValue;

    private static void Transform1D(ReadOnlySpan<double> f, double[] d, int[] v, double[] z)
    {
        var n = f.Length;
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
    private static double Intersection(ReadOnlySpan<double> f, int q, int p) =>
        (f[q] + (double)q * q - (f[p] + (double)p * p)) / (2.0 * q - 2.0 * p);
}
