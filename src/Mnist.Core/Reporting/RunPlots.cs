using System.Globalization;
using Mnist.Core.Evaluation;
using Mnist.Core.Training;
using ScottPlot;

namespace Mnist.Core.Reporting;

/// <summary>
/// The pictures of a training run, drawn with ScottPlot and written beside its model file, each
/// as NAME.png and NAME.svg: the loss and accuracy curves per epoch (<c>curves</c>), the test
/// confusion matrix as a heat map (<c>confusion</c>), and a grid of the test images the model
/// gets wrong, the most confident first (<c>mistakes</c>). Class names come from the caller
/// (the model file's manifest), never assumed to be digits.
/// </summary>
public static class RunPlots
{
    public const string Curves = "curves";
    public const string Confusion = "confusion";
    public const string Mistakes = "mistakes";

    /// <summary>Every picture of a run, in the order a report shows them.</summary>
    public static IReadOnlyList<string> Names { get; } = [Curves, Confusion, Mistakes];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Writes every picture the inputs allow: the curves when there is a history, the confusion
    /// matrix when there is an evaluation, the mistakes when there is a mistake set. Returns the names written.
    /// </summary>
    public static IReadOnlyList<string> WriteAll(string dir, IReadOnlyList<EpochRecord> history, int? bestEpoch, EvaluationResult? evaluation,
        MistakeSet? mistakes, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(history);
        var written = new List<string>();
        if (history.Count > 0)
        {
            WriteCurves(dir, history, bestEpoch);
            written.Add(Curves);
        }
        if (evaluation is not null)
        {
            WriteConfusion(dir, evaluation, classNames);
            written.Add(Confusion);
        }
        if (mistakes is not null)
        {
            WriteMistakes(dir, mistakes, classNames);
            written.Add(Mistakes);
        }
        return written;
    }

    /// <summary>Loss and accuracy, training and validation, per epoch; the best epoch marked.</summary>
    public static void WriteCurves(string dir, IReadOnlyList<EpochRecord> history, int? bestEpoch)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0) throw new ArgumentException("the history has no epoch to draw", nameof(history));
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(multiplot.GetPlot(0), "Loss", "loss (cross-entropy)", history, r => r.Loss, r => r.ValLoss, bestEpoch, Alignment.UpperRight);
        Panel(multiplot.GetPlot(1), "Accuracy", "accuracy", history, r => r.Accuracy, r => r.ValAccuracy, bestEpoch, Alignment.LowerRight);
        PlotFiles.Save(multiplot, dir, Curves, 1100, 420);
    }

    private static void Panel(Plot plot, string title, string yLabel, IReadOnlyList<EpochRecord> history,
        Func<EpochRecord, double> train, Func<EpochRecord, double> validation, int? bestEpoch, Alignment legend)
    {
        AddSeries(plot, history, train, "training", Colors.Gray);
        AddSeries(plot, history, validation, "validation", Colors.RoyalBlue);
        if (bestEpoch is { } best && history.Any(h => h.Epoch == best))
        {
            var line = plot.Add.VerticalLine(best, 1.5f, Colors.DarkOrange, LinePattern.Dashed);
            line.LegendText = $"best epoch ({best})";
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (history.Count == 1) plot.Axes.SetLimitsX(history[0].Epoch - 1, history[0].Epoch + 1);
        plot.ShowLegend(legend);
    }

    private static void AddSeries(Plot plot, IReadOnlyList<EpochRecord> history, Func<EpochRecord, double> value, string label, Color color)
    {
        var points = history.Where(h => double.IsFinite(value(h))).ToList();
        if (points.Count == 0) return;
        var scatter = plot.Add.Scatter(points.Select(h => (double)h.Epoch).ToArray(), points.Select(value).ToArray(), color);
        scatter.LegendText = label;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
    }

    /// <summary>
    /// The confusion matrix: one cell per (true, predicted) pair with its count; the colour is the
    /// cell's share of its true class, so that rows of different sizes compare.
    /// </summary>
    public static void WriteConfusion(string dir, EvaluationResult evaluation, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(classNames);
        var cm = evaluation.ConfusionMatrix;
        var k = cm.Length;
        if (k == 0 || classNames.Count != k || cm.Any(row => row.Length != k))
        {
            throw new InvalidDataException($"evaluation.confusion_matrix is {k}x{(k == 0 ? 0 : cm[0].Length)} but the model has {classNames.Count} class names; they must match");
        }
        var share = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            var total = Math.Max(1, cm[i].Sum());
            for (var j = 0; j < k; j++) share[i, j] = (double)cm[i][j] / total;
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(share);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles(); // vector cells in the SVG, not a 10x10 bitmap a browser would blur
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                var text = plot.Add.Text(cm[i][j].ToString(Inv), j, k - 1 - i);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = k > 15 ? 9 : 13;
                text.LabelFontColor = share[i, j] > 0.5 ? Colors.White : cm[i][j] == 0 ? Colors.Gray : Colors.Black;
                text.LabelBold = i == j;
            }
        }
        var positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, classNames.ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Select(p => k - 1 - p).ToArray(), classNames.ToArray());
        var longest = classNames.Max(n => n.Length);
        if (longest > 3)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = 30 + longest * 6;
        }
        plot.Axes.Left.MinimumSize = 20 + longest * 8;
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Title(string.Create(Inv, $"Confusion matrix, test set ({evaluation.Count:N0} images, accuracy {evaluation.Accuracy * 100:0.00}%)"));
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "share of the true class";
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.HideGrid();
        var side = Math.Clamp(60 * k, 400, 1400);
        PlotFiles.Save(plot, dir, Confusion, side + 260, side + 140);
    }

    /// <summary>
    /// The mistakes as a grid of the images themselves (placed in one plot), each with its true
    /// and predicted class and the probability the model gave its prediction.
    /// </summary>
    public static void WriteMistakes(string dir, MistakeSet mistakes, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(mistakes);
        ArgumentNullException.ThrowIfNull(classNames);
        const int columns = 6;
        const double rowPitch = 1.15;
        var items = mistakes.Items;
        var plot = new Plot();
        plot.HideAxesAndGrid();
        if (items.Count == 0)
        {
            var none = plot.Add.Text(string.Create(Inv, $"No mistakes on the {mistakes.Count:N0} test images."), 0, 0);
            none.Alignment = Alignment.MiddleCenter;
            none.LabelFontSize = 16;
            plot.Axes.SetLimits(-1, 1, -1, 1);
            plot.Title("Mistakes");
            PlotFiles.Save(plot, dir, Mistakes, 900, 300);
            return;
        }
        foreach (var m in items)
        {
            if (m.Label < 0 || m.Label >= classNames.Count || m.Predicted < 0 || m.Predicted >= classNames.Count)
            {
                throw new InvalidDataException($"mistake of test image {m.Index}: class {m.Label} or {m.Predicted} is not one of the model's {classNames.Count} class names");
            }
            if (m.Pixels.Length != mistakes.Width * mistakes.Height)
            {
                throw new InvalidDataException($"mistake of test image {m.Index}: {m.Pixels.Length} pixels, expected {mistakes.Width}x{mistakes.Height}");
            }
        }
        var rows = (items.Count + columns - 1) / columns;
        for (var n = 0; n < items.Count; n++)
        {
            var m = items[n];
            var (r, c) = (n / columns, n % columns);
            var pixels = new byte[mistakes.Height, mistakes.Width];
            for (var y = 0; y < mistakes.Height; y++)
            {
                for (var x = 0; x < mistakes.Width; x++) pixels[y, x] = m.Pixels[y * mistakes.Width + x];
            }
            var top = -r * rowPitch;
            var image = plot.Add.ImageRect(new Image(pixels), new CoordinateRect(c + 0.1, c + 0.9, top - 0.8, top));
            image.AntiAlias = false;
            var label = plot.Add.Text(string.Create(Inv, $"true {classNames[m.Label]}\npredicted {classNames[m.Predicted]}\nconfidence {m.Confidence * 100:0.0}%"), c + 0.5, top - 0.83);
            label.Alignment = Alignment.UpperCenter;
            label.LabelFontSize = 12;
        }
        plot.Axes.SetLimits(0, columns, -rows * rowPitch - 0.03, 0.03);
        plot.Axes.SquareUnits(); // square pixels: the limits grow in one direction instead
        plot.Title(string.Create(Inv, $"The {items.Count} most confident mistakes of {mistakes.Total:N0} ({mistakes.Count:N0} test images)"));
        PlotFiles.Save(plot, dir, Mistakes, 1080, 70 + rows * 200);
    }
}
