using System.Globalization;
using System.Text;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Inference;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Bench;

/// <summary>A digit as ink (white on black, [0, 1]) on a canvas of its own size, before the page's preprocessing, with its true class.</summary>
public sealed record LabeledInk(float[] Ink, int Width, int Height, int Label);

/// <summary>
/// One row of the robustness benchmark: a name and the images, made afresh (and alike, for the
/// same seed) each time <see cref="Images"/> is enumerated. A reference row (the MNIST images as
/// they come) is shown but not counted in the minimum.
/// </summary>
public sealed record ImageSet(string Name, Func<IEnumerable<LabeledInk>> Images, bool Reference = false);

/// <summary>The model inputs of an image set, after the page's preprocessing, and how many images the preprocessing refused (no ink left).</summary>
public sealed record PreparedSet(string Name, IReadOnlyList<float[]> Inputs, IReadOnlyList<int> Labels, int Refused, bool Reference);

/// <summary>How many of a set's images the model read right; a refused image counts as read wrong.</summary>
public sealed record RobustRow(
    string Name,
    int Images,
    int Correct,
    int Refused,
    bool Reference)
{
    public double Accuracy => Images == 0 ? 0 : (double)Correct / Images;
}

/// <summary>The benchmark's result: what was run, on what, and a row per image set.</summary>
public sealed record RobustReport(
    string Command,
    string Machine,
    string Model,
    string Engine,
    string Split,
    string Source,
    int Count,
    int Seed,
    IReadOnlyList<RobustRow> Rows,
    int TestTimeVariants = 0,
    WebLatencyResult? Latency = null)
{
    /// <summary>The hardest set: the lowest accuracy over the rows that are not references.</summary>
    public RobustRow? Minimum => Rows.Where(r => !r.Reference).MinBy(r => r.Accuracy);
}

/// <summary>
/// The accuracy of a model on digits that are not MNIST's images as they come: digits drawn on the
/// page's pad (<see cref="DrawnDigits"/>), MNIST digits distorted (<see cref="Distortions"/>:
/// elastically, thinned, thickened, slanted) and digits typed in handwriting-like fonts
/// (<see cref="FontDigits"/>). Every image goes through the page's preprocessing
/// (<see cref="ImagePreprocessor.FromInk"/>, stroke normalisation included) and is predicted through
/// a plain function of the model inputs, so that any engine, ensemble or test-time augmentation
/// plugs in.
/// </summary>
public static class RobustBenchmark
{
    /// <summary>Elastic distortions (α, σ in pixels of the 28x28 image): Simard et al.'s, and a stronger one.</summary>
    public static IReadOnlyList<(double Alpha, double Sigma)> Elastic { get; } = [(34, 4), (50, 4)];

    /// <summary>Slants in degrees (positive: the top leans right).</summary>
    public static IReadOnlyList<double> Slants { get; } = [15, -15, 20, -20];

    /// <summary>The MNIST images are distorted in a field this much larger on every side, so that no ink is pushed out of it.</summary>
    public const int Margin = 6;

    /// <summary>How many inputs go to the predict function at once.</summary>
    public const int Batch = 1000;

    /// <summary>
    /// The MNIST images the MNIST-derived rows start from: <paramref name="count"/> of the split,
    /// drawn with the seed, the same for every row. The validation split is the part of the training
    /// file that a run with <paramref name="training"/> held out (the model's own options, from its
    /// manifest; the defaults, seed 42, when it has none).
    /// </summary>
    public static LabeledImages Source(Dataset data, EvaluationSplit split, int count, int seed, TrainingOptions? training = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var images = HeldOutSplit.Images(data, split, training ?? new TrainingOptions());
        var order = Enumerable.Range(0, images.Count).ToArray();
        new Random(seed).Shuffle(order);
        return images.Select(order[..Math.Min(count, order.Length)]);
    }

    /// <summary>Where the MNIST-derived rows came from, in words, for the table: the test set, or the validation split the model held out (<see cref="HeldOutSplit.Of"/>).</summary>
    public static string Describe(EvaluationSplit split, ModelManifest manifest) =>
        split == EvaluationSplit.Test ? "MNIST's test set" : HeldOutSplit.Of(manifest).Source;

    /// <summary>Every row: the reference, the drawn digits, the distortions of <paramref name="mnist"/> and one per font.</summary>
    public static IReadOnlyList<ImageSet> Sets(LabeledImages mnist, string source, int seed, IReadOnlyList<HandwritingFont> fonts)
    {
        ArgumentNullException.ThrowIfNull(mnist);
        ArgumentNullException.ThrowIfNull(fonts);
        var sets = new List<ImageSet>
        {
            new($"MNIST {source} digits as they come (reference)", () => Mnist(mnist, image => image), Reference: true),
        };
        foreach (var pen in DrawnDigits.Pens) sets.Add(new(DrawnDigits.TrajectoriesName(pen), () => DrawnDigits.Trajectories(pen)));
        foreach (var ratio in DrawnDigits.Ratios)
        {
            var name = DrawnDigits.RedrawnName(source, ratio);
            sets.Add(new(name, () => DrawnDigits.Redrawn(mnist, mnist.Count, ratio, new Random(RowSeed(seed, name)))));
        }
        var side = mnist.Width + 2 * Margin;
        foreach (var (alpha, sigma) in Elastic)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"MNIST {source} digits, elastic distortion α={alpha} σ={sigma}");
            sets.Add(new(name, () =>
            {
                var rng = new Random(RowSeed(seed, name));
                return Mnist(mnist, image => Distortions.Elastic(image, side, side, alpha, sigma, rng));
            }));
        }
        sets.Add(new($"MNIST {source} digits thinned (grey-scale erosion, 1 px)", () => Mnist(mnist, image => Distortions.Morph(image, side, side, -1))));
        sets.Add(new($"MNIST {source} digits thickened (grey-scale dilation, 1 px)", () => Mnist(mnist, image => Distortions.Morph(image, side, side, 1))));
        foreach (var degrees in Slants)
        {
            sets.Add(new(string.Create(CultureInfo.InvariantCulture, $"MNIST {source} digits slanted {degrees:+0;-0}°"), () => Mnist(mnist, image => Distortions.Slant(image, side, side, degrees))));
        }
        foreach (var font in fonts) sets.Add(new(FontDigits.RowName(font), () => FontDigits.Digits(font)));
        return sets;
    }

    /// <summary>The set's images through the page's preprocessing: the model inputs, their labels, and how many had no ink left.</summary>
    public static PreparedSet Prepare(ImageSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var inputs = new List<float[]>();
        var labels = new List<int>();
        var refused = 0;
        foreach (var image in set.Images())
        {
            try
            {
                inputs.Add(ImagePreprocessor.FromInk(image.Ink, image.Width, image.Height));
                labels.Add(image.Label);
            }
            catch (ImageRejectedException e) when (e.Problem == ImageProblem.NoInk)
            {
                refused++;
            }
        }
        return new PreparedSet(set.Name, inputs, labels, refused, set.Reference);
    }

    /// <summary>
    /// A row's score, a pure function of the predict function (model inputs in, a class per input
    /// out) and the prepared images: the inputs go to it in batches of <see cref="Batch"/>.
    /// </summary>
    public static RobustRow Score(Func<IReadOnlyList<float[]>, int[]> predict, PreparedSet set)
    {
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentNullException.ThrowIfNull(set);
        var correct = 0;
        for (var start = 0; start < set.Inputs.Count; start += Batch)
        {
            var batch = set.Inputs.Skip(start).Take(Batch).ToArray();
            var answers = predict(batch);
            if (answers.Length != batch.Length) throw new InvalidOperationException($"the predict function answered {answers.Length} classes for {batch.Length} inputs");
            for (var i = 0; i < batch.Length; i++) if (answers[i] == set.Labels[start + i]) correct++;
        }
        return new RobustRow(set.Name, set.Inputs.Count + set.Refused, correct, set.Refused, set.Reference);
    }

    /// <summary>An engine as a predict function: the most probable class of each input.</summary>
    public static Func<IReadOnlyList<float[]>, int[]> Classes(IInferenceEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return inputs => [.. engine.Predict(inputs).Select(p => p.Index)];
    }

    /// <summary>Every set prepared and scored in turn; <paramref name="log"/> hears of each row as it is done.</summary>
    public static IReadOnlyList<RobustRow> Run(Func<IReadOnlyList<float[]>, int[]> predict, IEnumerable<ImageSet> sets, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(sets);
        var rows = new List<RobustRow>();
        foreach (var set in sets)
        {
            var row = Score(predict, Prepare(set));
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.Name}: {row.Accuracy * 100:0.0}% of {row.Images}"));
            rows.Add(row);
        }
        return rows;
    }

    public static string ToMarkdown(RobustReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Model `{report.Model}` ({report.Engine}, test-time variants {report.TestTimeVariants}); MNIST-derived rows from {report.Source}, {report.Count} images, seed {report.Seed}. Machine: {report.Machine}. Command: `{report.Command}`.");
        sb.AppendLine();
        sb.AppendLine("| image set | images | read right |");
        sb.AppendLine("|---|---|---|");
        foreach (var r in report.Rows)
        {
            var refused = r.Refused > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({r.Refused} refused: no ink)") : "";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Images} | {r.Accuracy * 100:0.0}%{refused} |"));
        }
        if (report.Minimum is { } min) sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| **minimum over the rows** ({min.Name}) | | **{min.Accuracy * 100:0.0}%** |"));
        if (report.Latency is { } latency)
        {
            sb.AppendLine();
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"One drawn digit through POST /api/predict, in process on loopback, one request at a time: p50 {latency.P50Ms:0.00} ms, p99 {latency.P99Ms:0.00} ms ({latency.Requests} requests after a warm-up; {(latency.Threads == 1 ? "one thread" : $"{latency.Threads} threads")} for the forward passes, as `mnist serve{(latency.Threads == 1 ? "" : $" --threads {latency.Threads}")}`)."));
        }
        return sb.ToString();
    }

    /// <summary>The MNIST images, each in a field <see cref="Margin"/> pixels larger on every side and changed by <paramref name="change"/>, with its label.</summary>
    private static IEnumerable<LabeledInk> Mnist(LabeledImages images, Func<float[], float[]> change)
    {
        var (w, h) = (images.Width, images.Height);
        for (var i = 0; i < images.Count; i++)
        {
            var grey = new float[w * h];
            var pixels = images.Image(i);
            for (var p = 0; p < grey.Length; p++) grey[p] = pixels[p] / 255f;
            yield return new LabeledInk(change(Distortions.Pad(grey, w, h, Margin)), w + 2 * Margin, h + 2 * Margin, images.Labels[i]);
        }
    }

    /// <summary>A row's own generator seed, from the run's seed and the row's name (FNV-1a): a row's images do not depend on which rows come before it.</summary>
    internal static int RowSeed(int seed, string name)
    {
        var hash = 2166136261u ^ (uint)seed;
        foreach (var c in name)
        {
            hash ^= c;
            hash *= 16777619;
        }
        return (int)(hash & 0x7fffffff);
    }
}
