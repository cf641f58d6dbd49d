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

    [Theory]
    [InlineData(2, 1f)]
    [InlineData(5, 1f)]
    [InlineData(12, 1f)]
    [InlineData(5, 0.4f)]
    public void Width_from_the_edges_of_a_band_is_its_thickness_whatever_its_grey_level(int thickness, float level)
    {
        var band = Band(80, 30, 30 + thickness).Select(v => v * level).ToArray();

        Assert.InRange(StrokeWidth.EstimateFromEdges(band, 80, 80), thickness * 0.85, thickness * 1.02);
    }

    [Fact]
    public void Width_from_the_edges_of_a_blank_image_is_zero()
    {
        Assert.Equal(0, StrokeWidth.EstimateFromEdges(new float[64], 8, 8));
    }

    [Fact]
    public void Dilating_zero_steps_gives_the_image_itself()
    {
        var band = Band(20, 8, 11);

        Assert.Equal(band, StrokeWidth.Dilate(band, 20, 20, 0));
    }

    [Fact]
    public void Dilating_a_dot_grows_a_cross_then_an_octagon_keeping_its_grey_level()
    {
        var dot = new float[9 * 9];
        dot[4 * 9 + 4] = 0.6f;

        var once = StrokeWidth.Dilate(dot, 9, 9, 1);
        var twice = StrokeWidth.Dilate(dot, 9, 9, 2);

        Assert.Equal(5, once.Count(v => v == 0.6f));
        Assert.Equal(0, once[3 * 9 + 3]);
        Assert.Equal(21, twice.Count(v => v == 0.6f));
        Assert.Equal(0, twice[2 * 9 + 2]);
        Assert.All(twice, v => Assert.True(v is 0f or 0.6f));
    }

    [Fact]
    public void Dilating_a_band_one_step_widens_it_by_two_pixels()
    {
        var band = Band(80, 30, 33);

        var wider = StrokeWidth.Dilate(band, 80, 80, 1);

        Assert.InRange(StrokeWidth.EstimateFromEdges(wider, 80, 80), 5 * 0.9, 5 * 1.02);
    }

    [Fact]
    public void Mnist_digits_are_left_as_they_are_unless_their_strokes_are_hairlines()
    {
        var test = TestData.Mnist.Test;
        var changed = 0;
        const int Count = 200;
        for (var i = 0; i < Count; i++)
        {
            var ink = test.Image(i).ToArray().Select(b => b / 255f).ToArray();

            var plain = ImagePreprocessor.FromInk(ink, 28, 28, normalizeStroke: false);
            if (plain.SequenceEqual(ImagePreprocessor.FromInk(ink, 28, 28))) continue;
            changed++;
            Assert.True(StrokeWidth.EstimateFromEdges(plain, 28, 28) / 20 < ImagePreprocessor.MinSmallStroke, $"test digit {i} was changed, though its strokes are not hairlines");
        }
        // MNIST's thinnest: 103 of its first 6,000 training digits (1.7%) measure under MinSmallStroke from their grey levels.
        Assert.InRange(changed, 0, Count / 20);
    }

    [Fact]
    public void A_thinned_mnist_digit_reaches_the_model_with_mnist_stroke_width()
    {
        var digit = TestData.Mnist.Test.Image(0).ToArray().Select(b => b / 255f).ToArray();
        var thinned = Erode(digit, 28, 28);

        var before = StrokeWidth.EstimateFromEdges(ImagePreprocessor.FromInk(thinned, 28, 28, normalizeStroke: false), 28, 28);
        var after = StrokeWidth.EstimateFromEdges(ImagePreprocessor.FromInk(thinned, 28, 28), 28, 28);

        Assert.True(before < 1.5, $"the thinned digit measures {before:0.00} pixels before");
        Assert.InRange(after, 1.9, 3.3);
    }

    [Fact]
    public void A_thinned_mnist_digit_reaches_the_model_nearly_as_bright_as_mnist_ink()
    {
        var digit = TestData.Mnist.Test.Image(0).ToArray().Select(b => b / 255f).ToArray();
        var thinned = Erode(digit, 28, 28);

        var before = InkLevel(ImagePreprocessor.FromInk(thinned, 28, 28, normalizeStroke: false));
        var after = InkLevel(ImagePreprocessor.FromInk(thinned, 28, 28));

        Assert.True(before < 0.3f, $"the thinned digit's ink level is {before:0.00} before");
        Assert.InRange(after, 0.6f, 1f);
    }

    /// <summary>The median ink pixel, as ImagePreprocessor measures MNIST's ink level.</summary>
    private static float InkLevel(float[] input)
    {
        var inked = input.Where(v => v > ImagePreprocessor.InkFloor).Order().ToArray();
        return inked[inked.Length / 2];
    }

    [Theory]
    [InlineData(24, 1.0)]
    [InlineData(34, 1.5)]
    public void A_digit_drawn_small_with_a_thin_pen_reaches_the_model_with_mnist_stroke_width(double size, double pen)
    {
        var png = DigitStrokes.RenderPng(2, 280, pen, 60, 60, size);

        var width = StrokeWidth.EstimateFromEdges(ImagePreprocessor.FromEncoded(png), 28, 28);

        Assert.InRange(width, 1.9, 3.3);
    }

    /// <summary>Grey-scale erosion by one pixel with the 3x3 cross (the robustness benchmark's thinned digits).</summary>
    private static float[] Erode(float[] image, int w, int h)
    {
        var result = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                float At(int px, int py) => px >= 0 && px < w && py >= 0 && py < h ? image[py * w + px] : 0f;
                result[y * w + x] = new[] { At(x, y), At(x - 1, y), At(x + 1, y), At(x, y - 1), At(x, y + 1) }.Min();
            }
        }
        return result;
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
