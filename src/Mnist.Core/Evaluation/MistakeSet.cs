using Mnist.Core.Data;

namespace Mnist.Core.Evaluation;

/// <summary>
/// One test image the model gets wrong: its index in the test set, its true and predicted class
/// (indices into the model's class names), the probability the model gave its prediction, and
/// its pixels (row-major grey bytes, 0 = black), so that a picture of it needs nothing else.
/// </summary>
public sealed record Mistake(int Index, int Label, int Predicted, double Confidence, byte[] Pixels);

/// <summary>
/// The test images a model gets wrong, the most confident mistakes first (at most
/// <see cref="DefaultKept"/> of them by default), and how many there were in all. A run folder
/// keeps it (<c>RunFolder.MistakesPath</c>).
/// </summary>
public sealed record MistakeSet(int Width, int Height, int Total, int Count, IReadOnlyList<Mistake> Items)
{
    public const int DefaultKept = 36;

    public static MistakeSet From(LabeledImages data, IReadOnlyList<int> predicted, IReadOnlyList<float> confidence, int keep = DefaultKept)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (predicted.Count != data.Count || confidence.Count != data.Count)
        {
            throw new ArgumentException($"{predicted.Count} predictions and {confidence.Count} confidences for {data.Count} images");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var wrong = Enumerable.Range(0, data.Count).Where(i => predicted[i] != data.Labels[i]).ToList();
        var items = wrong
            .OrderByDescending(i => confidence[i]).ThenBy(i => i)
            .Take(keep)
            .Select(i => new Mistake(i, data.Labels[i], predicted[i], confidence[i], data.Image(i).ToArray()))
            .ToList();
        return new MistakeSet(data.Width, data.Height, wrong.Count, data.Count, items);
    }
}
