namespace Mnist.Core.Data;

/// <summary>Grey images of one size (row-major bytes, 0 = black) with their class labels.</summary>
public sealed class LabeledImages
{
    public LabeledImages(byte[] pixels, byte[] labels, int height, int width)
    {
        if (pixels.Length != (long)labels.Length * height * width)
        {
            throw new ArgumentException($"{pixels.Length} pixel bytes do not make {labels.Length} images of {height}x{width}");
        }
        Pixels = pixels;
        Labels = labels;
        Height = height;
        Width = width;
    }

    public byte[] Pixels { get; }
    public byte[] Labels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Labels.Length;
    public int PixelsPerImage => Height * Width;

    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);

    /// <summary>The first <paramref name="count"/> images (all of them when count is null or larger).</summary>
    public LabeledImages Take(int? count)
    {
        if (count is null || count >= Count) return this;
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "must be positive");
        return new LabeledImages(Pixels.AsSpan(0, count.Value * PixelsPerImage).ToArray(), Labels.AsSpan(0, count.Value).ToArray(), Height, Width);
    }

    public LabeledImages Select(IReadOnlyList<int> indices)
    {
        var pixels = new byte[indices.Count * PixelsPerImage];
        var labels = new byte[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * PixelsPerImage));
            labels[i] = Labels[indices[i]];
        }
        return new LabeledImages(pixels, labels, Height, Width);
    }

    public int[] ClassCounts(int classCount)
    {
        var counts = new int[classCount];
        foreach (var l in Labels) counts[l]++;
        return counts;
    }
}
