using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Data;

/// <summary>
/// Pixel normalisation kept in the model file: pixels are scaled to [0, 1] (divided by 255),
/// then optionally standardised with the training set's mean and standard deviation.
/// </summary>
public sealed record Normalization(double Mean, double Std)
{
    /// <summary>Pixels / 255 only, as the seed does.</summary>
    public static Normalization UnitRange { get; } = new(0.0, 1.0);

    public bool IsIdentity => Mean == 0.0 && Std == 1.0;

    /// <summary>The mean and standard deviation of the images' pixels in [0, 1].</summary>
    public static Normalization Standardize(LabeledImages images)
    {
        double sum = 0, sumSq = 0;
        foreach (var p in images.Pixels)
        {
            var v = p / 255.0;
            sum += v;
            sumSq += v * v;
        }
        var n = (double)images.Pixels.Length;
        var mean = sum / n;
        var std = Math.Sqrt(Math.Max(sumSq / n - mean * mean, 1e-12));
        return new Normalization(mean, std);
    }
}

/// <summary>
/// The one preprocessing path shared by training, evaluation, prediction and serving:
/// bytes to [0, 1] floats, [N, 1, H, W], then the model file's normalisation.
/// </summary>
public static class Preprocessing
{
    /// <summary>Images as a float tensor [N, 1, H, W] with values in [0, 1].</summary>
    public static Tensor ToUnitTensor(LabeledImages images, Device? device = null)
    {
        using var bytes = torch.tensor(images.Pixels, [images.Count, 1, images.Height, images.Width], ScalarType.Byte);
        using var scale = 255f.ToScalar();
        return bytes.to(ScalarType.Float32, device ?? CPU).div_(scale);
    }

    /// <summary>Images already in [0, 1] (float, row-major) as [N, 1, H, W].</summary>
    public static Tensor ToUnitTensor(float[] pixels, int count, int height, int width, Device? device = null) =>
        torch.tensor(pixels, [count, 1, height, width], ScalarType.Float32, device ?? CPU);

    public static Tensor Labels(LabeledImages images, Device? device = null)
    {
        using var bytes = torch.tensor(images.Labels, [images.Count], ScalarType.Byte);
        return bytes.to(ScalarType.Int64, device ?? CPU);
    }

    /// <summary>One-hot targets [N, classes] (float), optionally smoothed as Keras's label_smoothing.</summary>
    public static Tensor OneHot(Tensor labels, int classes, double labelSmoothing = 0.0)
    {
        var oneHot = nn.functional.one_hot(labels, classes).to(ScalarType.Float32);
        if (labelSmoothing > 0)
        {
            using var keep = (1.0 - labelSmoothing).ToScalar();
            using var spread = (labelSmoothing / classes).ToScalar();
            oneHot.mul_(keep).add_(spread);
        }
        return oneHot;
    }

    /// <summary>Applies the model file's normalisation to a batch in [0, 1]; returns the input itself when it is the identity.</summary>
    public static Tensor Normalize(Tensor unitBatch, Normalization normalization)
    {
        if (normalization.IsIdentity) return unitBatch;
        // Scalars are held explicitly: TorchSharp's implicit ones may be finalised during the native call.
        using var mean = normalization.Mean.ToScalar();
        using var std = normalization.Std.ToScalar();
        return unitBatch.sub(mean).div_(std);
    }
}
