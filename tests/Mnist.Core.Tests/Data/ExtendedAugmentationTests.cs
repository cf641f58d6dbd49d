using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Training;
using Mnist.Testing;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Core.Tests.Data;

/// <summary>The augmentations beyond the seed's affine transform: elastic distortion, shear, stroke-width jitter.</summary>
public sealed class ExtendedAugmentationTests
{
    private static readonly AugmentationOptions Everything =
        AugmentationOptions.Seed with { ElasticAlpha = 34, ElasticSigma = 4, ShearDegrees = 10, StrokeJitter = 0.5 };

    private static Tensor RealBatch(int n) => Preprocessing.ToUnitTensor(TestData.Mnist.Test.Take(n));

    private static Tensor Full(long n, double value) => full([n], value, ScalarType.Float32);

    /// <summary>U(-1, 1) noise of <paramref name="shape"/> (scalars held, as the product does).</summary>
    private static Tensor Noise(long[] shape, ulong seed)
    {
        using var g = new Generator(seed);
        using var two = 2.ToScalar();
        using var one = 1.ToScalar();
        using var u = rand(shape, generator: g);
        return u.mul(two).sub_(one);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>The seed's Apply as it was before the new augmentations, kept verbatim: the reference of the seed path.</summary>
    private static Tensor SeedApplyAsBefore(Tensor batch, AugmentationOptions options, Generator generator)
    {
        var n = batch.shape[0];
        using var two = 2.ToScalar();
        using var one = 1.ToScalar();
        using var oneF = 1.0.ToScalar();
        using var rotation = (options.RotationDegrees * Math.PI / 180.0).ToScalar();
        using var zoom = options.Zoom.ToScalar();
        using var shift = options.Shift.ToScalar();
        using var u = rand([n, 5], generator: generator);
        using var signed = u.mul(two).sub_(one).to(batch.device);
        using var radians = signed[.., 0].mul(rotation);
        using var zoomX = signed[.., 1].mul(zoom).add_(oneF);
        using var zoomY = signed[.., 2].mul(zoom).add_(oneF);
        using var shiftX = signed[.., 3].mul(shift);
        using var shiftY = signed[.., 4].mul(shift);
        return Augmentation.Transform(batch, radians, zoomX, zoomY, shiftX, shiftY);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public void With_the_new_augmentations_off_the_seed_path_draws_and_returns_exactly_what_it_did(double elasticSigma)
    {
        using var batch = RealBatch(32);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        var options = elasticSigma == 0 ? AugmentationOptions.Seed : AugmentationOptions.Seed with { ElasticSigma = elasticSigma };

        using var now = Augmentation.Apply(batch, options, g1);
        using var before = SeedApplyAsBefore(batch, AugmentationOptions.Seed, g2);

        Assert.True(Same(before, now));
        using var nextNow = rand([4], generator: g1);
        using var nextBefore = rand([4], generator: g2);
        Assert.True(Same(nextBefore, nextNow)); // the same draws consumed
    }

    [Fact]
    public void Elastic_distortion_with_zero_alpha_is_the_identity()
    {
        using var batch = RealBatch(8);
        using var g = new Generator(1);

        var result = Augmentation.Apply(batch, AugmentationOptions.None with { ElasticAlpha = 0, ElasticSigma = 4 }, g);
        using var noise = Noise([8, 2, 28, 28], 2);
        using var displacement = Augmentation.ElasticDisplacement(noise, 0, 4);
        using var plain = Augmentation.Transform(batch, Full(8, 0.1), Full(8, 1.05), Full(8, 0.95), Full(8, 0.02), Full(8, -0.03));
        using var displaced = Augmentation.Transform(batch, Full(8, 0.1), Full(8, 1.05), Full(8, 0.95), Full(8, 0.02), Full(8, -0.03), null, displacement);

        Assert.True(Same(batch, result));
        Assert.True(Same(plain, displaced));
    }

    [Fact]
    public void Shear_of_zero_degrees_is_the_identity()
    {
        using var batch = RealBatch(8);
        using var g = new Generator(1);

        var result = Augmentation.Apply(batch, AugmentationOptions.None with { ShearDegrees = 0 }, g);
        using var plain = Augmentation.Transform(batch, Full(8, 0.1), Full(8, 1.05), Full(8, 0.95), Full(8, 0.02), Full(8, -0.03));
        using var sheared = Augmentation.Transform(batch, Full(8, 0.1), Full(8, 1.05), Full(8, 0.95), Full(8, 0.02), Full(8, -0.03), Full(8, 0), null);

        Assert.True(Same(batch, result));
        Assert.True(Same(plain, sheared));
    }

    [Fact]
    public void Stroke_jitter_of_zero_is_the_identity()
    {
        using var batch = RealBatch(8);
        using var g = new Generator(1);

        var result = Augmentation.Apply(batch, AugmentationOptions.None with { StrokeJitter = 0 }, g);
        using var jittered = Augmentation.StrokeJitter(batch, Full(8, 0));

        Assert.True(Same(batch, result));
        Assert.True(Same(batch, jittered));
    }

    [Fact]
    public void Stroke_jitter_alone_leaves_the_geometry_alone_and_only_changes_stroke_widths()
    {
        using var batch = RealBatch(16);
        using var g = new Generator(2);

        using var result = Augmentation.Apply(batch, AugmentationOptions.None with { StrokeJitter = 1 }, g);

        // Every pixel is between its 3x3 neighbourhood's minimum and maximum.
        using var low = Augmentation.Dilate3x3(batch.neg()).neg();
        using var high = Augmentation.Dilate3x3(batch);
        Assert.True(result.ge(low).all().item<bool>());
        Assert.True(result.le(high).all().item<bool>());
        Assert.False(Same(batch, result));
    }

    [Fact]
    public void Given_the_same_generator_seed_every_augmentation_on_gives_the_same_output_and_another_seed_another()
    {
        using var batch = RealBatch(16);
        using var g1 = new Generator(11);
        using var g2 = new Generator(11);
        using var g3 = new Generator(12);

        using var a = Augmentation.Apply(batch, Everything, g1);
        using var b = Augmentation.Apply(batch, Everything, g2);
        using var c = Augmentation.Apply(batch, Everything, g3);

        Assert.True(Same(a, b));
        Assert.False(Same(a, c));
    }

    [Fact]
    public void Every_augmentation_on_leaves_no_tensor_alive_but_its_result()
    {
        using var batch = RealBatch(16);
        using var g = new Generator(9);
        var options = Everything with { StrokeJitter = 1.5 }; // the second dilation too
        Augmentation.Apply(batch, options, g).Dispose();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (var i = 0; i < 3; i++) Augmentation.Apply(batch, options, g).Dispose();

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Elastic_distortion_moves_pixels_but_keeps_the_ink_and_the_value_range()
    {
        using var batch = RealBatch(64);
        using var g = new Generator(3);

        using var result = Augmentation.Apply(batch, AugmentationOptions.None with { ElasticAlpha = 34, ElasticSigma = 4 }, g);

        Assert.Equal(batch.shape, result.shape);
        Assert.True(result.min().item<float>() >= 0f);
        Assert.True(result.max().item<float>() <= 1f + 1e-6f);
        using var moved = result.sub(batch).abs();
        Assert.True(moved.mean().item<float>() > 0.01f, $"mean change {moved.mean().item<float>()}");
        var ratio = result.sum().item<float>() / batch.sum().item<float>();
        Assert.InRange(ratio, 0.9, 1.1);
    }

    [Fact]
    public void The_elastic_field_is_the_noise_smoothed_by_a_normalised_gaussian_and_scaled_by_alpha()
    {
        using var noise = Noise([3, 2, 28, 28], 4);

        using var displacement = Augmentation.ElasticDisplacement(noise, 34, 4);

        // The reference: a separable conv2d with the normalised kernel of radius 12 and reflect padding.
        var kernel = Enumerable.Range(-12, 25).Select(k => Math.Exp(-k * k / 32.0)).ToArray();
        var total = kernel.Sum();
        using var k1 = tensor(kernel.Select(v => (float)(v / total)).ToArray(), [1, 1, 1, 25]);
        using var flat = noise.reshape(6, 1, 28, 28);
        using var across = F.conv2d(F.pad(flat, [12, 12, 0, 0], PaddingModes.Reflect), k1);
        using var both = F.conv2d(F.pad(across, [0, 0, 12, 12], PaddingModes.Reflect), k1.reshape(1, 1, 25, 1));
        using var alpha = 34.0.ToScalar();
        using var expected = both.reshape(3, 2, 28, 28).permute(0, 2, 3, 1).mul(alpha);
        Assert.True(displacement.allclose(expected, rtol: 1e-4, atol: 1e-4));
        // Simard's field: smooth, about a pixel or two at these values.
        var spread = displacement.std().item<float>();
        Assert.InRange(spread, 0.5, 3.0);
    }

    [Fact]
    public void Given_a_displacement_of_one_pixel_right_When_sampled_Then_the_content_moves_one_pixel_left()
    {
        using var image = zeros(1, 1, 28, 28);
        image[0, 0, 10, 10] = tensor(1f);
        using var displacement = zeros(1, 28, 28, 2);
        displacement[.., .., .., 0] = tensor(1f); // each output pixel samples one pixel to its right

        using var moved = Augmentation.Transform(image, Full(1, 0), Full(1, 1), Full(1, 1), Full(1, 0), Full(1, 0), null, displacement);

        Assert.Equal(1f, moved[0, 0, 10, 9].item<float>(), 4);
    }

    [Fact]
    public void Given_a_vertical_bar_When_sheared_20_degrees_Then_its_top_moves_right_and_its_bottom_left_by_tan_20_times_the_height()
    {
        // Columns 13 and 14 straddle the centre (x = 14 in pixel units, centres at i + 0.5); row 4's
        // centre is 9.5 pixels above the image's centre, row 23's 9.5 below.
        using var image = zeros(1, 1, 28, 28);
        image[0, 0, 2..26, 13..15] = tensor(1f);
        var angle = 20 * Math.PI / 180;

        using var sheared = Augmentation.Transform(image, Full(1, 0), Full(1, 1), Full(1, 1), Full(1, 0), Full(1, 0), Full(1, angle), null);

        var expected = 9.5 * Math.Tan(angle);
        Assert.Equal(13.5 + expected, RowCentroid(sheared, 4), 2);
        Assert.Equal(13.5 - expected, RowCentroid(sheared, 23), 2);
    }

    [Fact]
    public void Shear_is_drawn_per_image_within_the_range_and_keeps_the_ink()
    {
        using var batch = RealBatch(64);
        using var g = new Generator(6);

        using var result = Augmentation.Apply(batch, AugmentationOptions.None with { ShearDegrees = 10 }, g);

        Assert.False(Same(batch, result));
        var ratio = result.sum().item<float>() / batch.sum().item<float>();
        Assert.InRange(ratio, 0.95, 1.05);
    }

    [Fact]
    public void Stroke_jitter_above_zero_thickens_the_strokes()
    {
        using var batch = RealBatch(16);

        using var thicker = Augmentation.StrokeJitter(batch, Full(16, 0.5));
        using var thickest = Augmentation.StrokeJitter(batch, Full(16, 1.5));

        var ink = batch.sum().item<float>();
        Assert.True(thicker.sum().item<float>() > ink * 1.1);
        Assert.True(thickest.sum().item<float>() > thicker.sum().item<float>());
        Assert.True(thickest.max().item<float>() <= 1f + 1e-6f);
    }

    [Fact]
    public void Stroke_jitter_below_zero_thins_the_strokes()
    {
        using var batch = RealBatch(16);

        using var thinner = Augmentation.StrokeJitter(batch, Full(16, -0.5));
        using var thinnest = Augmentation.StrokeJitter(batch, Full(16, -1.5));

        var ink = batch.sum().item<float>();
        Assert.True(thinner.sum().item<float>() < ink * 0.9);
        Assert.True(thinnest.sum().item<float>() < thinner.sum().item<float>());
        Assert.True(thinnest.min().item<float>() >= 0f);
    }

    [Fact]
    public void Stroke_jitter_of_one_pixel_is_a_3x3_max_pool_dilation_and_of_minus_one_the_erosion()
    {
        using var batch = RealBatch(4);

        using var dilated = Augmentation.StrokeJitter(batch, Full(4, 1));
        using var eroded = Augmentation.StrokeJitter(batch, Full(4, -1));

        using var maxPool = F.max_pool2d(batch, [3, 3], [1, 1], [1, 1]);
        using var minPool = F.max_pool2d(batch.neg(), [3, 3], [1, 1], [1, 1]).neg();
        Assert.True(Same(maxPool, dilated));
        Assert.True(Same(minPool, eroded));
    }

    [Fact]
    public void The_3x3_dilation_equals_max_pool2d_with_stride_1_and_padding_1()
    {
        using var batch = Noise([3, 2, 9, 7], 8);

        using var ours = Augmentation.Dilate3x3(batch);
        using var pooled = F.max_pool2d(batch, [3, 3], [1, 1], [1, 1]);

        Assert.True(Same(pooled, ours));
    }

    [Theory]
    [InlineData("shear_degrees")]
    [InlineData("elastic_alpha")]
    [InlineData("elastic_sigma")]
    [InlineData("stroke_jitter")]
    public void A_bad_value_of_a_new_augmentation_is_rejected_naming_its_setting(string setting)
    {
        var augmentation = setting switch
        {
            "shear_degrees" => AugmentationOptions.Seed with { ShearDegrees = 90 },
            "elastic_alpha" => AugmentationOptions.Seed with { ElasticAlpha = -1 },
            "elastic_sigma" => AugmentationOptions.Seed with { ElasticSigma = 0 },
            _ => AugmentationOptions.Seed with { StrokeJitter = 2 },
        };

        var e = Assert.Throws<SettingException>(() => new TrainingOptions { Augmentation = augmentation }.Validate());

        Assert.Equal(setting, e.Setting);
    }

    [Fact]
    public void Typical_strengths_of_every_new_augmentation_are_valid()
    {
        new TrainingOptions { Augmentation = Everything }.Validate();
    }

    [Fact]
    public void Options_written_before_the_new_augmentations_read_with_them_off()
    {
        const string old = """{ "epochs": 3, "augmentation": { "rotation_degrees": 5, "zoom": 0.05, "shift": 0.05 } }""";

        var options = Json.Deserialize<TrainingOptions>(old, "old");

        Assert.Equal(new TrainingOptions { Epochs = 3, Augmentation = new AugmentationOptions(5, 0.05, 0.05), Monitor = Core.Tuning.TuningObjective.ValLoss }, options); // written before the monitor too: val_loss
        Assert.Equal((0.0, 0.0, 0.0), (options.Augmentation.ElasticAlpha, options.Augmentation.ShearDegrees, options.Augmentation.StrokeJitter));
    }

    [Fact]
    public void The_new_augmentations_are_written_in_snake_case_and_read_back()
    {
        var options = new TrainingOptions { Augmentation = Everything };

        var json = Json.Serialize(options);

        Assert.Contains("\"elastic_alpha\": 34", json, StringComparison.Ordinal);
        Assert.Contains("\"shear_degrees\": 10", json, StringComparison.Ordinal);
        Assert.Contains("\"stroke_jitter\": 0.5", json, StringComparison.Ordinal);
        Assert.DoesNotContain("geometric", json, StringComparison.Ordinal);
        Assert.Equal(options, Json.Deserialize<TrainingOptions>(json, "test"));
    }

    private static double RowCentroid(Tensor image, int row)
    {
        var values = image[0, 0, row].data<float>().ToArray();
        double m = 0, c = 0;
        for (var i = 0; i < values.Length; i++) { m += values[i]; c += values[i] * i; }
        return c / m;
    }
}
