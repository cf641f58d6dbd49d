using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Reporting;

/// <summary>The run pictures from made-up histories and evaluations: no training, milliseconds each.</summary>
public sealed class RunPlotsTests : IDisposable
{
    private static readonly string[] Clothing = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static List<EpochRecord> History(int epochs) =>
        Enumerable.Range(1, epochs).Select(e => new EpochRecord(e, 1.0 / e + 0.1, 0.9 + 0.01 * e, 0.8 / e + 0.15, 0.91 + 0.008 * e, 1e-3 / e, 20 + e)).ToList();

    /// <summary>A test set of <paramref name="n"/> images of simple shapes, and predictions right about 90% of the time.</summary>
    internal static (LabeledImages Data, int[] Predicted, float[] Confidence) Predictions(int n, int classes = 10, int seed = 3)
    {
        var rnd = new Random(seed);
        var labels = new byte[n];
        var predicted = new int[n];
        var confidence = new float[n];
        var pixels = new byte[n * 784];
        for (var i = 0; i < n; i++)
        {
            labels[i] = (byte)rnd.Next(classes);
            predicted[i] = rnd.NextDouble() < 0.9 ? labels[i] : rnd.Next(classes);
            confidence[i] = (float)(0.3 + 0.7 * rnd.NextDouble());
            for (var y = 6; y < 22; y++)
            {
                for (var x = 10 + labels[i] % 5; x < 14 + labels[i] % 5; x++) pixels[i * 784 + y * 28 + x] = 255;
            }
        }
        return (new LabeledImages(pixels, labels, 28, 28), predicted, confidence);
    }

    [Fact]
    public void Given_a_history_When_the_curves_are_written_Then_the_png_decodes_at_its_size_and_the_svg_names_panels_axes_and_series()
    {
        RunPlots.WriteCurves(_dir.Path, History(8), bestEpoch: 6);

        Pictures.AssertPng(_dir.File("curves.png"), 1100, 420);
        var texts = Pictures.AssertSvg(_dir.File("curves.svg"), 1100, 420);
        foreach (var expected in new[] { "Loss", "Accuracy", "epoch", "accuracy", "training", "validation", "best epoch (6)" })
        {
            Assert.Contains(expected, texts);
        }
    }

    [Fact]
    public void Given_clothing_class_names_When_the_confusion_matrix_is_written_Then_the_svg_has_the_names_on_the_axes_and_the_counts()
    {
        var (data, predicted, _) = Predictions(2000);
        var evaluation = EvaluationResult.FromPredictions(data.Labels, predicted, 0.3, Clothing);

        RunPlots.WriteConfusion(_dir.Path, evaluation, Clothing);

        Pictures.AssertPng(_dir.File("confusion.png"), 860, 740);
        var texts = Pictures.AssertSvg(_dir.File("confusion.svg"), 860, 740);
        foreach (var name in Clothing) Assert.Equal(2, texts.Count(t => t == name)); // once per axis
        Assert.Contains("predicted class", texts);
        Assert.Contains("true class", texts);
        Assert.Contains(evaluation.ConfusionMatrix[3][3].ToString(System.Globalization.CultureInfo.InvariantCulture), texts);
        Assert.Contains(texts, t => t.StartsWith("Confusion matrix, test set (2,000 images", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_a_confusion_matrix_and_fewer_class_names_When_written_Then_the_error_names_both()
    {
        var (data, predicted, _) = Predictions(200);
        var evaluation = EvaluationResult.FromPredictions(data.Labels, predicted, 0.3, Clothing);

        var e = Assert.Throws<InvalidDataException>(() => RunPlots.WriteConfusion(_dir.Path, evaluation, Clothing[..9]));

        Assert.Contains("confusion_matrix is 10x10", e.Message, StringComparison.Ordinal);
        Assert.Contains("9 class names", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_predictions_When_the_mistakes_are_kept_Then_they_are_the_wrong_ones_most_confident_first()
    {
        var (data, predicted, confidence) = Predictions(2000);

        var mistakes = MistakeSet.From(data, predicted, confidence);

        Assert.Equal(Enumerable.Range(0, 2000).Count(i => predicted[i] != data.Labels[i]), mistakes.Total);
        Assert.Equal(MistakeSet.DefaultKept, mistakes.Items.Count);
        Assert.All(mistakes.Items, m => Assert.NotEqual(m.Label, m.Predicted));
        Assert.Equal(mistakes.Items.Select(m => m.Confidence).OrderByDescending(c => c), mistakes.Items.Select(m => m.Confidence));
        Assert.Equal(data.Image(mistakes.Items[0].Index).ToArray(), mistakes.Items[0].Pixels);
    }

    [Fact]
    public void Given_mistakes_When_the_grid_is_written_Then_it_shows_each_image_with_true_and_predicted_class_and_confidence()
    {
        var (data, predicted, confidence) = Predictions(2000);
        var mistakes = MistakeSet.From(data, predicted, confidence);

        RunPlots.WriteMistakes(_dir.Path, mistakes, Clothing);

        Pictures.AssertPng(_dir.File("mistakes.png"), 1080, 70 + 6 * 200);
        var svg = File.ReadAllText(_dir.File("mistakes.svg"));
        Assert.Equal(36, System.Text.RegularExpressions.Regex.Matches(svg, "<image ").Count);
        var texts = Pictures.AssertSvg(_dir.File("mistakes.svg"), 1080, 70 + 6 * 200);
        var first = mistakes.Items[0];
        Assert.Contains($"true {Clothing[first.Label]}", texts);
        Assert.Contains($"predicted {Clothing[first.Predicted]}", texts);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"confidence {first.Confidence * 100:0.0}%"), texts);
        Assert.Contains(texts, t => t.StartsWith($"The 36 most confident mistakes of {mistakes.Total}", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_no_mistakes_When_the_grid_is_written_Then_it_says_so()
    {
        var (data, _, confidence) = Predictions(100);
        var mistakes = MistakeSet.From(data, data.Labels.Select(l => (int)l).ToArray(), confidence);

        RunPlots.WriteMistakes(_dir.Path, mistakes, Clothing);

        Assert.Contains("No mistakes on the 100 test images.", Pictures.AssertSvg(_dir.File("mistakes.svg"), 900, 300));
        Pictures.AssertPng(_dir.File("mistakes.png"), 900, 300);
    }

    [Fact]
    public void Given_everything_When_all_pictures_are_written_Then_each_name_has_a_png_and_an_svg()
    {
        var (data, predicted, confidence) = Predictions(500);
        var evaluation = EvaluationResult.FromPredictions(data.Labels, predicted, 0.3, Clothing);

        var written = RunPlots.WriteAll(_dir.Path, History(3), 2, evaluation, MistakeSet.From(data, predicted, confidence), Clothing);

        Assert.Equal(RunPlots.Names, written);
        foreach (var name in RunPlots.Names) Assert.True(PlotFiles.Exists(_dir.Path, name), name);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }
}
