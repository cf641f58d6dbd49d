using Mnist.Core.Inference;
using Mnist.Testing;

namespace Mnist.Core.Tests.Inference;

public sealed class StrokeWidthTests
{
    private static float[] Band(int side, int from, int to)
    {
        var image = new float[side * side];
        for (var y = from; y < to; y++)
        {
            for (var x = 5; x < side - 5; x++) image[y * side + x] = 1f;
        }
        return image;
    }

    /// <summary>The stroke width of the 28x28 input, measured at 8x so that it is not rounded to whole pixels.</summary>
    private static double InputStrokeWidth(float[] input)
    {
        var up = Resampler.Resize(input, 28, 28, 224, 224);
        return StrokeWidth.Estimate(up, 224, 224) / 8;
    }

    [Fact]
    public void Distance_transform_equals_brute_force_euclidean_distances()
    {
        var rng = new Random(3);
        const int w = 23, h = 17;
        var image = Enumerable.Range(0, w * h).Select(_ => rng.NextDouble() < 0.08 ? 1f : 0f).ToArray();

        var d = DistanceTransform.Euclidean(image, w, h, v => v >= 0.5f, outsideIsFeature: false);

        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var best = double.PositiveInfinity;
                for (var j = 0; j < h; j++)
                {
                    for (var i = 0; i < w; i++)
                    {
                        if (image[j * w + i] >= 0.5f) best = Math.Min(best, Math.Sqrt((i - x) * (i - x) + (j - y) * (j - y)));
                    }
                }
                Assert.Equal(best, d[y * w + x], 9);
            }
        }
    }

    [Fact]
    public void The_outside_of_the_image_counts_as_background()
    {
        var full = Enumerable.Repeat(1f, 9 * 9).ToArray();

        var inside = DistanceTransform.Euclidean(full, 9, 9, v => v < 0.5f, outsideIsFeature: true);

        Assert.Equal(1, inside[0]);
        Assert.Equal(5, inside[4 * 9 + 4]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    [InlineData(15)]
    public void Width_of_a_band_is_its_thickness(int thickness)
    {
        var band = Band(80, 30, 30 + thickness);

        Assert.InRange(StrokeWidth.Estimate(band, 80, 80), thickness * 0.92, thickness * 1.02);
    }

    [Fact]
    public void Width_of_a_drawn_ring_is_the_pen_width()
    {
        var png = Png.Draw(300, 300, SkiaSharp.SKColors.Black, c =>
        {
            using var paint = new SkiaSharp.SKPaint { Color = SkiaSharp.SKColors.White, IsAntialias = true, Style = SkiaSharp.SKPaintStyle.Stroke, StrokeWidth = 18 };
            c.DrawCircle(150, 150, 100, paint);
        });
        var (ink, w, h) = ImagePreprocessor.DecodeToInk(png, ImageLimits.Default);

        Assert.InRange(StrokeWidth.Estimate(ink, w, h), 18 * 0.93, 18 * 1.07);
    }

    [Theory]
    [InlineData(3.0, 12)]
    [InlineData(-2.0, 2)]
    public void Offset_moves_each_edge_by_delta(double delta, int expected)
    {
        var band = Band(60, 20, 26);

        var moved = StrokeWidth.Offset(band, 60, 60, delta);

        Assert.InRange(StrokeWidth.Estimate(moved, 60, 60), expected * 0.9, expected * 1.05);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(10)]
    [InlineData(25)]
    [InlineData(45)]
    public void Any_pen_on_a_large_pad_reaches_the_model_with_mnist_stroke_width(double pen)
    {
        // MNIST's own digits, measured the same way: 10th to 90th percentile 1.7 to 3.5 pixels.
        var png = DigitStrokes.RenderPng(3, 280, pen, 40, 40, 200);

        var width = InputStrokeWidth(ImagePreprocessor.FromEncoded(png));

        Assert.InRange(width, 1.7, 3.5);
    }

    [Fact]
    public void Without_the_normalisation_a_thin_pen_would_reach_the_model_as_a_hairline()
    {
        var png = DigitStrokes.RenderPng(3, 280, 4, 40, 40, 200);
        var (ink, w, h) = ImagePreprocessor.DecodeToInk(png, ImageLimits.Default);

        var width = InputStrokeWidth(ImagePreprocessor.FromInk(ink, w, h, normalizeStroke: false));

        Assert.True(width < 1.2, $"width {width}");
    }

    [Fact]
    public void Mnist_digits_themselves_are_left_as_they_are()
    {
        var test = TestData.Mnist.Test;
        for (var i = 0; i < 50; i++)
        {
            var ink = test.Image(i).ToArray().Select(b => b / 255f).ToArray();

            Assert.Equal(ImagePreprocessor.FromInk(ink, 28, 28, normalizeStroke: false), ImagePreprocessor.FromInk(ink, 28, 28));
        }
    }

    [Fact]
    public void The_same_digit_drawn_small_in_a_corner_or_large_in_the_middle_reaches_the_model_alike()
    {
        var large = ImagePreprocessor.FromEncoded(DigitStrokes.RenderPng(5, 280, 25, 40, 40, 200));
        var small = ImagePreprocessor.FromEncoded(DigitStrokes.RenderPng(5, 280, 25, 200, 190, 70));

        var (a, b) = (InkBox(large), InkBox(small));
        Assert.Equal(a.X1 - a.X0, b.X1 - b.X0, 1.0);
        Assert.Equal(a.Y1 - a.Y0, b.Y1 - b.Y0, 1.0);
        Assert.InRange(Math.Abs(a.X0 - b.X0) + Math.Abs(a.Y0 - b.Y0), 0, 2);
        Assert.InRange(InputStrokeWidth(small) - InputStrokeWidth(large), -0.8, 0.8);
    }

    private static (int X0, int Y0, int X1, int Y1) InkBox(float[] input)
    {
        int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
        for (var y = 0; y < 28; y++)
        {
            for (var x = 0; x < 28; x++)
            {
                if (input[y * 28 + x] < 0.3f) continue;
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
        }
        return (x0, y0, x1, y1);
    }
}
