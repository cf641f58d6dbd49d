using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Core.Data;

/// <summary>
/// The seed's augmentation (Keras ImageDataGenerator(rotation_range=10, zoom_range=0.1,
/// width_shift_range=0.1, height_shift_range=0.1)): per image a rotation drawn from
/// U(-R, R) degrees, zoom factors for x and y drawn independently from U(1-Z, 1+Z), and
/// shifts drawn from U(-S, S) of the width and height. Bilinear, zero (black) fill.
/// Beyond the seed, each off (0) by default: a shear (<see cref="ShearDegrees"/>), an elastic
/// distortion (<see cref="ElasticAlpha"/>, <see cref="ElasticSigma"/>) and a stroke-width
/// jitter (<see cref="StrokeJitter"/>).
/// </summary>
public sealed record AugmentationOptions(double RotationDegrees = 10, double Zoom = 0.1, double Shift = 0.1)
{
    public static AugmentationOptions Seed { get; } = new();
    public static AugmentationOptions None { get; } = new(0, 0, 0);

    /// <summary>
    /// Keras's shear_range: per image a horizontal shear by an angle drawn from U(-s, s) degrees
    /// (a positive angle leans the content to the right, as italics); 0 is off.
    /// </summary>
    public double ShearDegrees { get; init; }

    /// <summary>
    /// Elastic distortion (Simard, Steinkraus and Platt 2003): the scale, in pixels, of a random
    /// displacement field (U(-1, 1) per pixel for x and y, smoothed by a Gaussian of
    /// <see cref="ElasticSigma"/> pixels); 0 is off. Simard's values for MNIST: 34 with σ 4.
    /// </summary>
    public double ElasticAlpha { get; init; }

    /// <summary>The elastic distortion's smoothing, the Gaussian's σ in pixels (larger: smoother, smaller displacements); used only when <see cref="ElasticAlpha"/> &gt; 0.</summary>
    public double ElasticSigma { get; init; } = 4;

    /// <summary>
    /// Stroke-width jitter, in pixels (at most 1.5): per image t drawn from U(-j, j); t &gt; 0
    /// thickens the strokes (grey-scale dilation, 3×3), t &lt; 0 thins them (erosion), blended by
    /// |t| (see <see cref="Augmentation.StrokeJitter"/>); 0 is off.
    /// </summary>
    public double StrokeJitter { get; init; }

    /// <summary>True when no transform moves a pixel: the seed's ranges, the shear and the elastic distortion are all 0.</summary>
    [JsonIgnore]
    public bool IsGeometricIdentity => RotationDegrees == 0 && Zoom == 0 && Shift == 0 && ShearDegrees == 0 && ElasticAlpha == 0;

    /// <summary>True when every augmentation is off: the batch is returned unchanged and nothing is drawn.</summary>
    public bool IsIdentity => IsGeometricIdentity && StrokeJitter == 0;
}

/// <summary>
/// Random augmentations of whole batches as tensor operations: one affine_grid + grid_sample
/// for the affine transform (rotation, zoom, shift, shear) and the elastic distortion together,
/// and the stroke-width jitter by grey-scale dilation or erosion before it.
/// </summary>
public static class Augmentation
{
    /// <summary>
    /// Draws one transform per image from <paramref name="generator"/> and applies it. Input and
    /// output are [N, C, H, W] in [0, 1]; with every augmentation off the input is returned
    /// unchanged. The seed's part is always one draw of rand([N, 5]); each other augmentation
    /// draws only when it is on, after it (shear rand([N]), elastic rand([N, 2, H, W]), stroke
    /// jitter rand([N]), in that order), so with them off every seeded result is the seed's.
    /// </summary>
    public static Tensor Apply(Tensor batch, AugmentationOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsIdentity) return batch;
        using var scope = NewDisposeScope();
        var n = batch.shape[0];
        // Every scalar is held explicitly: TorchSharp's implicit ones may be finalised while libtorch reads them.
        using var two = 2.ToScalar();
        using var one = 1.ToScalar();
        using var oneF = 1.0.ToScalar();
        using var rotation = (options.RotationDegrees * Math.PI / 180.0).ToScalar();
        using var zoom = options.Zoom.ToScalar();
        using var shift = options.Shift.ToScalar();
        // Drawn on the generator's device (CPU), then moved next to the batch; U[-1, 1).
        Tensor Signed(Tensor u) => u.mul(two).sub_(one).to(batch.device);
        var signed = Signed(rand([n, 5], generator: generator));
        var radians = signed[.., 0].mul(rotation);
        var zoomX = signed[.., 1].mul(zoom).add_(oneF);
        var zoomY = signed[.., 2].mul(zoom).add_(oneF);
        var shiftX = signed[.., 3].mul(shift);
        var shiftY = signed[.., 4].mul(shift);

        Tensor? shear = null, displacement = null, thickness = null;
        if (options.ShearDegrees > 0)
        {
            using var shearRange = (options.ShearDegrees * Math.PI / 180.0).ToScalar();
            shear = Signed(rand([n], generator: generator)).mul(shearRange);
        }
        if (options.ElasticAlpha > 0)
        {
            var noise = Signed(rand([n, 2, batch.shape[2], batch.shape[3]], generator: generator));
            displacement = ElasticDisplacement(noise, options.ElasticAlpha, options.ElasticSigma);
        }
        if (options.StrokeJitter > 0)
        {
            using var jitter = options.StrokeJitter.ToScalar();
            thickness = Signed(rand([n], generator: generator)).mul(jitter);
        }

        var x = thickness is null ? batch : StrokeJitter(batch, thickness);
        if (!options.IsGeometricIdentity) x = Transform(x, radians, zoomX, zoomY, shiftX, shiftY, shear, displacement);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Applies a given affine transform per image. <paramref name="radians"/> rotates the content
    /// counter-clockwise as displayed; zoom &gt; 1 enlarges the content; shifts are fractions of
    /// the width (x, positive moves right) and height (y, positive moves down). Each argument is [N].
    /// </summary>
    public static Tensor Transform(Tensor batch, Tensor radians, Tensor zoomX, Tensor zoomY, Tensor shiftX, Tensor shiftY) =>
        Transform(batch, radians, zoomX, zoomY, shiftX, shiftY, shear: null, displacement: null);

    /// <summary>
    /// <see cref="Transform(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)"/> with, optionally, a
    /// horizontal shear applied to the content first (<paramref name="shear"/>, [N] radians; a
    /// positive angle moves the top right and the bottom left, as italics; square images) and an
    /// elastic displacement added to the sampling grid (<paramref name="displacement"/>,
    /// [N, H, W, 2] in pixels, x then y: the output pixel samples the affine transform's source
    /// point moved by it), all in one grid_sample.
    /// </summary>
    public static Tensor Transform(Tensor batch, Tensor radians, Tensor zoomX, Tensor zoomY, Tensor shiftX, Tensor shiftY, Tensor? shear, Tensor? displacement)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(radians);
        // affine_grid maps each output location to the input location it samples, in normalised
        // coordinates ([-1, 1] across the image, y down). The inverse of "shear by H, scale by z,
        // rotate by a, then shift by t" is x_in = H^-1 S^-1 R^-1 (x_out - t).
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
        if (shear is not null)
        {
            // The shear moves content at height y by -tan(angle) * y (y up is negative: the top
            // moves right); H^-1 = [[1, k], [0, 1]] with k = tan(angle), applied after S^-1 R^-1.
            var k = shear.tan();
            a00 = a00 + k * a10;
            a01 = a01 + k * a11;
        }
        var b0 = -(a00 * tx + a01 * ty);
        var b1 = -(a10 * tx + a11 * ty);
        var theta = stack([stack([a00, a01, b0], 1), stack([a10, a11, b1], 1)], 1).to(batch.dtype);
        var grid = F.affine_grid(theta, batch.shape, align_corners: false);
        if (displacement is not null)
        {
            // Pixels to normalised coordinates (align_corners false: the width spans 2).
            var toNormalised = tensor(new[] { 2f / batch.shape[3], 2f / batch.shape[2] }, dtype: grid.dtype, device: grid.device);
            using var one = 1.ToScalar();
            grid = grid.addcmul_(displacement.to(grid.dtype), toNormalised, one);
        }
        var result = F.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Simard's displacement field from <paramref name="noise"/> ([N, 2, H, W], U(-1, 1), x then
    /// y): each channel smoothed by a normalised Gaussian of <paramref name="sigma"/> pixels
    /// (radius ceil(3σ), at most the image's size less one; reflect padding) and scaled by
    /// <paramref name="alpha"/> pixels. Returns [N, H, W, 2] in pixels, as
    /// <see cref="Transform(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?)"/> takes it.
    /// </summary>
    public static Tensor ElasticDisplacement(Tensor noise, double alpha, double sigma)
    {
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        using var scope = NewDisposeScope();
        // The separable Gaussian as two small matrix products (rows, then columns): the same sums
        // as a separable conv2d with reflect padding, in one batched GEMM each.
        // α scales the small row matrix rather than the field.
        using var scale = alpha.ToScalar();
        var rows = GaussianSmoothing((int)noise.shape[2], sigma, noise.dtype, noise.device).mul_(scale);
        var columnsT = GaussianSmoothing((int)noise.shape[3], sigma, noise.dtype, noise.device).t();
        var smoothed = rows.matmul(noise).matmul(columnsT);
        return smoothed.permute(0, 2, 3, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The [n, n] matrix M of a 1-D Gaussian smoothing of <paramref name="sigma"/> pixels over n
    /// samples with reflect padding (PyTorch's "reflect": the edge sample is not repeated):
    /// output i = Σ_j M[i, j] input j. The kernel is normalised (every row sums to 1); its radius
    /// is ceil(3σ), at most n - 1.
    /// </summary>
    public static Tensor GaussianSmoothing(int n, double sigma, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        var radius = Math.Min((int)Math.Ceiling(3 * sigma), n - 1);
        var kernel = new double[2 * radius + 1];
        for (var k = -radius; k <= radius; k++) kernel[k + radius] = Math.Exp(-k * k / (2 * sigma * sigma));
        var total = kernel.Sum();
        var m = new float[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var k = -radius; k <= radius; k++)
            {
                var j = i + k;
                if (j < 0) j = -j;
                else if (j >= n) j = 2 * (n - 1) - j;
                m[i * n + j] += (float)(kernel[k + radius] / total);
            }
        }
        return tensor(m, [n, n], dtype, device ?? CPU);
    }

    /// <summary>
    /// Stroke-width jitter by <paramref name="thickness"/> ([N] pixels, each in [-1.5, 1.5]): for
    /// t &gt; 0, x + min(t, 1)·(D(x) − x) + clamp(t − 1, 0, 1)·(D(D(x)) − D(x)) with D the grey-scale
    /// dilation (max_pool2d 3×3, stride 1, padding 1); for t &lt; 0 the same with the erosion
    /// (−max_pool2d(−x)) and |t|; t = 0 keeps the image exactly. [N, C, H, W] in, same out.
    /// </summary>
    public static Tensor StrokeJitter(Tensor batch, Tensor thickness)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(thickness);
        using var scope = NewDisposeScope();
        using var zero = 0.0.ToScalar();
        using var one = 1.0.ToScalar();
        var t = thickness.to(batch.dtype).to(batch.device).reshape(-1, 1, 1, 1);
        // D(s·x)·s is the dilation for s = 1 and the erosion for s = -1 (s = 0 where t = 0, whose weights are 0).
        var sign = t.sign();
        var size = t.abs();
        var first = size.clamp(zero, one);
        // lerp(a, b, w) is a + w·(b − a), exactly a at w = 0 and exactly b at w = 1; the second
        // step (|t| > 1) starts from the first's full result, D(x).
        var once = Dilate3x3(batch.mul(sign)).mul_(sign);
        var result = batch.lerp(once, first);
        if (size.gt(one).any().item<bool>())
        {
            var second = size.sub(one).clamp_(zero, one);
            var twice = Dilate3x3(once.mul(sign)).mul_(sign);
            result = result.lerp(twice, second);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Grey-scale dilation with a 3×3 square: the values of max_pool2d(kernel 3, stride 1,
    /// padding 1), as four element-wise maxima of shifted views (libtorch 2.10's CPU pooling
    /// kernel is slow for this layout; see <see cref="Model.MaxPool2x2"/>).
    /// </summary>
    public static Tensor Dilate3x3(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        long h = batch.shape[2], w = batch.shape[3];
        var padded = F.pad(batch, [1, 1, 1, 1], PaddingModes.Constant, double.NegativeInfinity);
        var across = maximum(maximum(padded.narrow(3, 0, w), padded.narrow(3, 1, w)), padded.narrow(3, 2, w));
        var result = maximum(maximum(across.narrow(2, 0, h), across.narrow(2, 1, h)), across.narrow(2, 2, h));
        return result.MoveToOuterDisposeScope();
    }
}
