using System.Globalization;
using Mnist.Core.Tuning;
using ScottPlot;

namespace Mnist.Core.Reporting;

/// <summary>
/// The pictures of a hyperparameter study, written beside its database (DIR/NAME.db) as
/// NAME_history.png/.svg (each completed trial's score and the running best) and
/// NAME_params.png/.svg (one panel per hyperparameter: its value against the score).
/// </summary>
public static class StudyPlots
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string HistoryName(string study) => study + "_history";

    public static string ParamsName(string study) => study + "_params";

    /// <summary>Both pictures of the study, in the study's folder; returns their names.</summary>
    public static IReadOnlyList<string> Write(string dir, StudyDefinition definition, IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(definition);
        WriteHistory(dir, definition, trials);
        WriteParams(dir, definition, trials);
        return [HistoryName(definition.Name), ParamsName(definition.Name)];
    }

    /// <summary>Reads a study file and writes its pictures beside it.</summary>
    public static IReadOnlyList<string> WriteFor(string studyPath)
    {
        using var store = SqliteStudyStore.OpenExisting(studyPath);
        return Write(Path.GetDirectoryName(store.Path)!, store.Definition, store.Trials());
    }

    /// <summary>Score per trial (completed ones), the best so far as a step line, pruned trials (their value at the rung where they stopped) and failed trials marked.</summary>
    public static void WriteHistory(string dir, StudyDefinition definition, IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(trials);
        var goal = definition.Goal;
        var metric = goal.Name;
        var done = Completed(trials);
        var plot = new Plot();
        if (done.Count == 0)
        {
            NoTrials(plot, definition, trials);
        }
        else
        {
            var xs = done.Select(t => (double)t.Id).ToArray();
            var ys = done.Select(t => t.Score!.Value).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys, Colors.RoyalBlue);
            points.LegendText = "trial score";
            points.MarkerSize = 9;

            var best = new double[ys.Length];
            for (var i = 0; i < ys.Length; i++) best[i] = i == 0 ? ys[i] : goal.BetterOf(best[i - 1], ys[i]);
            var running = plot.Add.Scatter(xs, best, Colors.DarkOrange);
            running.ConnectStyle = ConnectStyle.StepHorizontal;
            running.LineWidth = 2;
            running.MarkerSize = 0;
            running.LegendText = "best so far";

            var pruned = Pruned(trials);
            if (pruned.Count > 0)
            {
                var marks = plot.Add.Markers(pruned.Select(t => (double)t.Id).ToArray(), pruned.Select(t => t.Score!.Value).ToArray(), MarkerShape.OpenTriangleDown, 9, Colors.Gray);
                marks.LegendText = "pruned (value at its last rung)";
            }

            var failed = trials.Where(t => t.Status == TrialStatus.Failed).ToList();
            if (failed.Count > 0)
            {
                var worst = goal.Worst(ys);
                var marks = plot.Add.Markers(failed.Select(t => (double)t.Id).ToArray(), failed.Select(_ => worst).ToArray(), MarkerShape.Cross, 10, Colors.Red);
                marks.LegendText = "failed trial";
            }
            var top = goal.Best(done)!;
            plot.Title(string.Create(Inv, $"Study '{definition.Name}': {metric} per trial (best: trial {top.Id}, {top.Score:0.0000})"));
            plot.ShowLegend(goal.Direction == Direction.Max ? Alignment.LowerRight : Alignment.UpperRight);
        }
        plot.XLabel("trial");
        plot.YLabel(metric);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        PlotFiles.Save(plot, dir, HistoryName(definition.Name), 900, 450);
    }

    /// <summary>One panel per hyperparameter: each completed trial's value against its score (pruned ones as grey triangles), the best trial marked.</summary>
    public static void WriteParams(string dir, StudyDefinition definition, IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(trials);
        var space = definition.Space;
        if (space.Count == 0) throw new InvalidDataException($"study '{definition.Name}' declares no hyperparameters");
        var metric = definition.Goal.Name;
        var done = Completed(trials);
        var best = definition.Goal.Best(done);
        var columns = Math.Min(space.Count, 4);
        var rows = (space.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(space.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (var i = 0; i < space.Count; i++)
        {
            var p = space[i];
            var plot = multiplot.GetPlot(i);
            var withValue = done.Where(t => t.Hyperparameters.ContainsKey(p.Name)).ToList();
            double X(TrialRecord t) => Position(p, t.Hyperparameters[p.Name]);
            var prunedHere = Pruned(trials).Where(t => t.Hyperparameters.ContainsKey(p.Name)).ToList();
            if (prunedHere.Count > 0)
            {
                plot.Add.Markers(prunedHere.Select(X).ToArray(), prunedHere.Select(t => t.Score!.Value).ToArray(), MarkerShape.OpenTriangleDown, 7, Colors.Gray);
            }
            if (withValue.Count > 0)
            {
                var points = plot.Add.ScatterPoints(withValue.Select(X).ToArray(), withValue.Select(t => t.Score!.Value).ToArray(), Colors.RoyalBlue);
                points.MarkerSize = 8;
            }
            if (best is not null && best.Hyperparameters.ContainsKey(p.Name))
            {
                plot.Add.Marker(X(best), best.Score!.Value, MarkerShape.FilledDiamond, 14, Colors.DarkOrange);
            }
            Ticks(plot, p);
            plot.Title(p.Name + (p is FloatParameter { Log: true } ? " (log scale)" : ""), 13);
            plot.XLabel(p.Name, 12);
            if (i % columns == 0) plot.YLabel(metric, 12);
        }
        PlotFiles.Save(multiplot, dir, ParamsName(definition.Name), 330 * columns, 300 * rows);
    }

    private static List<TrialRecord> Completed(IReadOnlyList<TrialRecord> trials) => WithScore(trials, TrialStatus.Completed);

    private static List<TrialRecord> Pruned(IReadOnlyList<TrialRecord> trials) => WithScore(trials, TrialStatus.Pruned);

    private static List<TrialRecord> WithScore(IReadOnlyList<TrialRecord> trials, TrialStatus status) =>
        trials.Where(t => t.Status == status && t.Score is { } s && double.IsFinite(s)).OrderBy(t => t.Id).ToList();

    private static void NoTrials(Plot plot, StudyDefinition definition, IReadOnlyList<TrialRecord> trials)
    {
        var text = plot.Add.Text($"No completed trial yet ({trials.Count} trials recorded).", 0, 0);
        text.Alignment = Alignment.MiddleCenter;
        text.LabelFontSize = 16;
        plot.Axes.SetLimits(-1, 1, -1, 1);
        plot.Title($"Study '{definition.Name}'");
    }

    /// <summary>Where a value sits on its panel's x axis: log10 for log-scaled floats, the index for choices.</summary>
    private static double Position(HyperParameter p, double value) =>
        p is FloatParameter { Log: true } && value > 0 ? Math.Log10(value) : value;

    private static void Ticks(Plot plot, HyperParameter p)
    {
        switch (p)
        {
            case ChoiceParameter c:
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                    Enumerable.Range(0, c.Values.Count).Select(v => (double)v).ToArray(), c.Values.ToArray());
                plot.Axes.SetLimitsX(-0.5, c.Values.Count - 0.5);
                break;
            case FloatParameter { Log: true } f:
                var decades = Enumerable.Range((int)Math.Floor(Math.Log10(f.Min)), (int)Math.Ceiling(Math.Log10(f.Max)) - (int)Math.Floor(Math.Log10(f.Min)) + 1).ToArray();
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                    decades.Select(d => (double)d).ToArray(), decades.Select(d => Math.Pow(10, d).ToString("G3", Inv)).ToArray());
                plot.Axes.SetLimitsX(Math.Log10(f.Min) - 0.1, Math.Log10(f.Max) + 0.1);
                break;
            case FloatParameter f:
                plot.Axes.SetLimitsX(f.Min - (f.Max - f.Min) * 0.05, f.Max + (f.Max - f.Min) * 0.05);
                break;
            case IntParameter n:
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
                plot.Axes.SetLimitsX(n.Min - Math.Max(1, (n.Max - n.Min) * 0.05), n.Max + Math.Max(1, (n.Max - n.Min) * 0.05));
                break;
        }
    }
}
