using Mnist.Core.Data;
using Mnist.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Data;

public sealed class AugmentationTests
{
    private static Tensor RealBatch(int n) => Preprocessing.ToUnitTensor(TestData.Mnist.Test.Take(n));

    private static Tensor Full(long n, double value) => full([n], value, ScalarType.Float32);

    [Fact]
    public void Given_zero_ranges_When_applied_Then_the_batch_is_returned_unchanged()
    {
        using var batch = RealBatch(8);
        using var g = new Generator(1);

        var result = Augmentation.Apply(batch, AugmentationOptions.None, g);

        Assert.True(result.eq(batch).all().item<bool>());
    }

    [Fact]
    public void Given_an_identity_transform_When_sampled_through_the_grid_Then_every_pixel_is_kept()
    {
        using var batch = RealBatch(8);

        using var result = Augmentation.Transform(batch, Full(8, 0), Full(8, 1), Full(8, 1), Full(8, 0), Full(8, 0));

        Assert.True(result.allclose(batch, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Given_a_pixel_above_the_centre_When_rotated_90_degrees_counter_clockwise_Then_it_lands_left_of_the_centre()
    {
        // Centre of a 28x28 image is (13.5, 13.5); the pixel (row 3, col 13) is 10.5 rows above it, half a column left.
        using var image = zeros(1, 1, 28, 28);
        image[0, 0, 3, 13] = tensor(1f);

        using var rotated = Augmentation.Transform(image, Full(1, Math.PI / 2), Full(1, 1), Full(1, 1), Full(1, 0), Full(1, 0));

        // Counter-clockwise as displayed: "up" turns to "left", "left" turns to "down".
        Assert.Equal(1f, rotated[0, 0, 14, 3].item<float>(), 4);
        Assert.Equal(1f, rotated.sum().item<float>(), 4);
    }

    [Fact]
    public void Given_a_shift_of_a_tenth_When_applied_Then_content_moves_right_and_down_by_2_8_pixels()
    {
        using var image = zeros(1, 1, 28, 28);
        image[0, 0, 10, 10] = tensor(1f);

        using var shifted = Augmentation.Transform(image, Full(1, 0), Full(1, 1), Full(1, 1), Full(1, 0.1), Full(1, 0.1));

        var (row, col) = Centroid(shifted);
        Assert.Equal(12.8, row, 3);
        Assert.Equal(12.8, col, 3);
    }

    [Fact]
    public void Given_a_zoom_of_1_1_When_applied_Then_distances_from_the_centre_grow_by_10_percent()
    {
        using var image = zeros(1, 1, 28, 28);
        image[0, 0, 13, 23] = tensor(1f); // 9.5 columns right of the centre

        using var zoomed = Augmentation.Transform(image, Full(1, 0), Full(1, 1.1), Full(1, 1.1), Full(1, 0), Full(1, 0));

        var (_, col) = Centroid(zoomed);
        Assert.InRange(col, 13.5 + 9.5 * 1.1 - 0.1, 13.5 + 9.5 * 1.1 + 0.1);
    }

    [Fact]
    public void Given_the_seed_ranges_When_applied_to_real_digits_Then_shape_value_range_and_ink_are_kept()
    {
        using var batch = RealBatch(64);
        using var g = new Generator(3);

        using var result = Augmentation.Apply(batch, AugmentationOptions.Seed, g);

        Assert.Equal(batch.shape, result.shape);
        Assert.True(result.min().item<float>() >= 0f);
        Assert.True(result.max().item<float>() <= 1f + 1e-6f);
        Assert.False(result.allclose(batch));
        // Zoom changes the ink's area by at most (1.1)^2; shifts and rotations of 10% keep MNIST's padded digits inside.
        var ratio = result.sum().item<float>() / batch.sum().item<float>();
        Assert.InRange(ratio, 0.85, 1.2);
    }

    [Fact]
    public void Given_the_same_generator_seed_When_applied_twice_Then_results_are_identical()
    {
        using var batch = RealBatch(16);
        using var g1 = new Generator(11);
        using var g2 = new Generator(11);
        using var g3 = new Generator(12);

        using var a = Augmentation.Apply(batch, AugmentationOptions.Seed, g1);
        using var b = Augmentation.Apply(batch, AugmentationOptions.Seed, g2);
        using var c = Augmentation.Apply(batch, AugmentationOptions.Seed, g3);

        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(c).all().item<bool>());
    }

    private static (double Row, double Col) Centroid(Tensor image)
    {
        var values = image.reshape(28, 28).data<float>().ToArray();
        double m = 0, r = 0, c = 0;
        for (var i = 0; i < 784; i++) { m += values[i]; r += values[i] * (i / 28); c += values[i] * (i % 28); }
        return (r / m, c / m);
    }
}
