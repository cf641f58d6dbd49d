namespace Mnist.Core.Inference;

/// <summary>
/// Separable anti-aliased bilinear resampling of a grey image (a triangle filter whose support
/// widens with the reduction factor, as PIL's resize does), so thin strokes survive shrinking.
/// </summary>
public static class Resampler
{
    public static float[] Resize(float[] src, int w, int h, int nw, int nh)
    {
        if (w == nw && h == nh) return (float[])src.Clone();
        var horizontal = Weights(w, nw);
        var vertical = Weights(h, nh);
        var tmp = new float[nw * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < nw; x++)
            {
                var (start, weights) = horizontal[x];
                float sum = 0;
                for (var k = 0; k < weights.Length; k++) sum += weights[k] * src[y * w + start + k];
                tmp[y * nw + x] = sum;
            }
        }
        // Vertical pass row by row, so that the inner loop runs along contiguous memory; each
        // output still sums its taps in the same order, so results are unchanged.
        var dst = new float[nw * nh];
        for (var y = 0; y < nh; y++)
        {
            var (start, weights) = vertical[y];
            var row = dst.AsSpan(y * nw, nw);
            for (var k = 0; k < weights.Length; k++)
            {
                var wk = weights[k];
                var source = tmp.AsSpan((start + k) * nw, nw);
                for (var x = 0; x < nw; x++) row[x] += wk * source[x];
            }
        }
        return dst;
    }

    private static (int Start, float[] Weights)[] Weights(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var support = Math.Max(scale, 1.0);
        var result = new (int, float[])[outSize];
        for (var o = 0; o < outSize; o++)
        {
            var center = (o + 0.5) * scale;
            var lo = Math.Max(0, (int)Math.Floor(center - support));
            var hi = Math.Min(inSize - 1, (int)Math.Ceiling(center + support));
            var weights = new double[hi - lo + 1];
            double total = 0;
            for (var i = lo; i <= hi; i++)
            {
                var wgt = Math.Max(0, 1 - Math.Abs(i + 0.5 - center) / support);
                weights[i - lo] = wgt;
                total += wgt;
            }
            if (total <= 0)
            {
                var nearest = Math.Clamp((int)center, 0, inSize - 1);
                result[o] = (nearest, [1f]);
                continue;
            }
            result[o] = (lo, weights.Select(v => (float)(v / total)).ToArray());
        }
        return result;
    }
}
