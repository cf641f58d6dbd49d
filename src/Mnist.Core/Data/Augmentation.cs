using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Core.Data;

/// <summary>
/// The seed's augmentation (Keras ImageDataGenerator(rotation_range=10, zoom_range=0.1,
/// width_shift_range=0.1, height_shift_range=0.1)): per image a rotation drawn from
/// U(-R, R) degrees, zoom factors for x and y drawn independently from U(1-Z, 1+Z), and
/// shifts drawn from U(-S, S) of the width and height. Bilinear, zero (black) fill.
/// </summary>
public sealed record AugmentationOptions(double RotationDegrees = 10, double Zoom = 0.1, double Shift = 0.1)
{
    public static AugmentationOptions Seed { get; } = new();
    public static AugmentationOptions None { get; } = new(0, 0, 0);

    public bool IsIdentity => RotationDegrees == 0 && Zoom == 0 && Shift == 0;
}

/// <summary>Random affine transforms of whole batches as tensor operations (affine_grid + grid_sample).</summary>
public static class Augmentation
{
    /// <summary>
    /// Draws one transform per image from <paramref name="generator"/> and applies it. Input and
    /// output are [N, C, H, W] in [0, 1]; with zero ranges the input is returned unchanged.
    /// </summary>
    public static Tensor Apply(Tensor batch, AugmentationOptions options, Generator generator)
    {
        if (options.IsIdentity) return batch;
        var n = batch.shape[0];
        // Every scalar is held explicitly: TorchSharp's implicit ones may be finalised while libtorch reads them.
        using var two = 2.ToScalar();
        using var one = 1.ToScalar();
        using var oneF = 1.0.ToScalar();
        using var rotation = (options.RotationDegrees * Math.PI / 180.0).ToScalar();
        using var zoom = options.Zoom.ToScalar();
        using var shift = options.Shift.ToScalar();
        // Drawn on the generator's device (CPU), then moved next to the batch.
        using var u = rand([n, 5], generator: generator);
        using var signed = u.mul(two).sub_(one).to(batch.device); // U[-1, 1)
        using var radians = signed[.., 0].mul(rotation);
        using var zoomX = signed[.., 1].mul(zoom).add_(oneF);
        using var zoomY = signed[.., 2].mul(zoom).add_(oneF);
        using var shiftX = signed[.., 3].mul(shift);
        using var shiftY = signed[.., 4].mul(shift);
        return Transform(batch, radians, zoomX, zoomY, shiftX, shiftY);
    }

    /// <summary>
    /// Applies a given affine transform per image. <paramref name="radians"/> rotates the content
    /// counter-clockwise as displayed; zoom &gt; 1 enlarges the content; shifts are fractions of
    /// the width (x, positive moves right) and height (y, positive moves down). Each argument is [N].
    /// </summary>
    public static Tensor Transform(Tensor batch, Tensor radians, Tensor zoomX, Tensor zoomY, Tensor shiftX, Tensor shiftY)
    {
        // affine_grid maps each output location to the input location it samples, in normalised
        // coordinates ([-1, 1] across the image, y down). The inverse of "rotate by a, scale by z,
        // then shift by t" is x_in = S^-1 R^-1 (x_out - t).
        using var scope = NewDisposeScope();
        var cos = radians.cos();
        var sin = radians.sin();
        using var two = 2.ToScalar();
        var tx = shiftX.mul(two);
        var ty = shiftY.mul(two);
        // R^-1 for a counter-clockwise rotation as displayed (y down) is [[cos, -sin], [sin, cos]].
        var a00 = cos / zoomX;
        var a01 = -sin / zoomX;
        var a10 = sin / zoomY;
        var a11 = cos / zoomY;
        var b0 = -(a00 * tx + a01 * ty);
        var b1 = -(a10 * tx + a11 * ty);
        var theta = stack([stack([a00, a01, b0], 1), stack([a10, a11, b1], 1)], 1).to(batch.dtype);
        var grid = F.affine_grid(theta, batch.shape, align_corners: false);
        var result = F.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
        return result.MoveToOuterDisposeScope();
    }
}
