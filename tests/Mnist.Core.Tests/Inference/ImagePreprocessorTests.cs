using Mnist.Core.Inference;
using Mnist.Testing;
using SkiaSharp;

namespace Mnist.Core.Tests.Inference;

public sealed class ImagePreprocessorTests
{
    private static readonly SKPaint Pen = new() { Color = SKColors.White, StrokeWidth = 18, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };

    private static byte[] DrawSeven(int size, float x, float y, float scale, SKColor background, SKColor ink) =>
        Png.Draw(size, size, background, c =>
        {
            using var pen = Pen.Clone();
            pen.Color = ink;
            pen.StrokeWidth = 18 * scale;
            c.DrawLine(x, y, x + 100 * scale, y, pen);
            c.DrawLine(x + 100 * scale, y, x + 40 * scale, y + 160 * scale, pen);
        });

    private static (double Row, double Col, int Top, int Bottom, int Left, int Right) Geometry(float[] input)
    {
        double m = 0, r = 0, c = 0;
        int top = 28, bottom = -1, left = 28, right = -1;
        for (var i = 0; i < 784; i++)
        {
            var v = input[i];
            m += v; r += v * (i / 28); c += v * (i % 28);
            if (v > 0.1f) { top = Math.Min(top, i / 28); bottom = Math.Max(bottom, i / 28); left = Math.Min(left, i % 28); right = Math.Max(right, i % 28); }
        }
        return (r / m, c / m, top, bottom, left, right);
    }

    [Fact]
    public void Given_a_digit_drawn_small_in_a_corner_of_a_large_canvas_When_preprocessed_Then_it_is_scaled_to_20_pixels_and_centred_by_mass()
    {
        var png = DrawSeven(600, 20, 30, 0.8f, SKColors.Black, SKColors.White);

        var input = ImagePreprocessor.FromEncoded(png);

        var g = Geometry(input);
        Assert.InRange(g.Row, 13.5, 14.5);
        Assert.InRange(g.Col, 13.5, 14.5);
        Assert.InRange(g.Bottom - g.Top + 1, 19, 20);
        Assert.InRange(input.Max(), 0.9f, 1f);
    }

    [Fact]
    public void Given_the_same_digit_in_both_polarities_When_preprocessed_Then_the_inputs_are_the_same()
    {
        var whiteOnBlack = DrawSeven(280, 60, 50, 1, SKColors.Black, SKColors.White);
        var blackOnWhite = DrawSeven(280, 60, 50, 1, SKColors.White, SKColors.Black);

        var a = ImagePreprocessor.FromEncoded(whiteOnBlack);
        var b = ImagePreprocessor.FromEncoded(blackOnWhite);

        Assert.All(a.Zip(b), p => Assert.Equal(p.First, p.Second, 0.02f));
    }

    [Fact]
    public void Given_dark_strokes_on_a_transparent_background_When_preprocessed_Then_it_reads_like_the_opaque_picture()
    {
        var transparent = DrawSeven(280, 60, 50, 1, SKColors.Transparent, SKColors.Black);
        var opaque = DrawSeven(280, 60, 50, 1, SKColors.Black, SKColors.White);

        var a = ImagePreprocessor.FromEncoded(transparent);
        var b = ImagePreprocessor.FromEncoded(opaque);

        Assert.All(a.Zip(b), p => Assert.Equal(p.First, p.Second, 0.02f));
    }

    [Fact]
    public void Given_a_jpeg_When_preprocessed_Then_it_matches_the_png_closely()
    {
        var png = DrawSeven(280, 60, 50, 1, SKColors.White, SKColors.Black);
        var jpeg = Png.Draw(280, 280, SKColors.White, c =>
        {
            using var pen = Pen.Clone();
            pen.Color = SKColors.Black;
            c.DrawLine(60, 50, 160, 50, pen);
            c.DrawLine(160, 50, 100, 210, pen);
        }, SKEncodedImageFormat.Jpeg);

        var a = ImagePreprocessor.FromEncoded(png);
        var b = ImagePreprocessor.FromEncoded(jpeg);

        Assert.True(a.Zip(b).Average(p => Math.Abs(p.First - p.Second)) < 0.02);
    }

    [Fact]
    public void Given_a_blank_image_When_preprocessed_Then_it_is_rejected_for_having_no_ink()
    {
        var blank = Png.Draw(100, 100, SKColors.White, _ => { });

        var e = Assert.Throws<ImageRejectedException>(() => ImagePreprocessor.FromEncoded(blank));

        Assert.Equal(ImageProblem.NoInk, e.Problem);
        Assert.Contains("no ink", e.Message);
    }

    [Fact]
    public void Given_bytes_that_are_not_an_image_When_preprocessed_Then_it_is_rejected_as_undecodable()
    {
        var e = Assert.Throws<ImageRejectedException>(() => ImagePreprocessor.FromEncoded("definitely not a png"u8.ToArray()));

        Assert.Equal(ImageProblem.Undecodable, e.Problem);
    }

    [Fact]
    public void Given_an_image_wider_than_the_limit_When_preprocessed_Then_it_is_refused_from_its_header()
    {
        var wide = Png.Draw(3000, 10, SKColors.White, _ => { });

        var e = Assert.Throws<ImageRejectedException>(() => ImagePreprocessor.FromEncoded(wide, new ImageLimits(MaxSide: 2000)));

        Assert.Equal(ImageProblem.TooLarge, e.Problem);
        Assert.Contains("3000x10", e.Message);
    }
}
