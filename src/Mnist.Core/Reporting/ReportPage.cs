using System.Globalization;
using System.Text.Json;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Tuning;

namespace Mnist.Core.Reporting;

/// <summary>One block of a report's section: a table of facts, a picture, or a table of rows.</summary>
public abstract record ReportBlock;

/// <summary>Facts as keys and values; <see cref="Heading"/> null for a section's own first table. <see cref="Id"/> names it for scripts.</summary>
public sealed record FactsBlock(string Id, string? Heading, IReadOnlyList<(string Key, string Value)> Rows) : ReportBlock;

/// <summary>A picture of the folder (NAME.svg, inlined), or absent when the folder has none (<see cref="Svg"/> null).</summary>
public sealed record PictureBlock(string Name, string Caption, byte[]? Svg) : ReportBlock;

/// <summary>A row of a <see cref="TableBlock"/>: its cells, whether it is the best one, and a note shown under it.</summary>
public sealed record TableRow(IReadOnlyList<string> Cells, bool Best = false, string? Note = null);

/// <summary>A table: its heading (and a muted aside), its columns and rows.</summary>
public sealed record TableBlock(string Heading, string? Aside, IReadOnlyList<string> Columns, IReadOnlyList<TableRow> Rows) : ReportBlock;

/// <summary>A section of the page: "Pipeline", "Run <c>final</c>", "Study <c>study</c>".</summary>
public sealed record ReportSection(string Kind, string? Name, IReadOnlyList<ReportBlock> Blocks);

/// <summary>
/// The page <c>mnist report</c> writes, as data: its title, when it was written, its sections
/// (the pipeline's summary, each run, each study) and what it could not show. Built from what
/// <see cref="ReportSources"/> read (after <see cref="ReportBackfill"/> drew what was missing);
/// <see cref="ReportHtml"/> renders it.
/// </summary>
public sealed record ReportPage(string Title, DateTimeOffset Written, IReadOnlyList<ReportSection> Sections, IReadOnlyList<string> Notes)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static ReportPage From(ReportSources sources, IEnumerable<string> notes, DateTimeOffset written)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var sections = new List<ReportSection>();
        if (sources.Pipeline is { } pipeline) sections.Add(Pipeline(pipeline));
        sections.AddRange(sources.Runs.Select(Run));
        sections.AddRange(sources.Studies.Select(s => Study(s, sources.Dir)));
        return new ReportPage(Path.GetFileName(sources.Dir), written, sections, notes.ToList());
    }

    public static ReportSection Run(LoadedRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var m = run.Contents.Manifest;
        var history = run.Contents.History;
        var evaluation = run.Evaluation;
        var facts = new List<(string, string)>
        {
            ("dataset", m.Dataset),
            ("classes", string.Join(", ", m.ClassNames)),
        };
        if (evaluation is not null)
        {
            facts.Add(("test accuracy", string.Create(Inv, $"{evaluation.Accuracy * 100:0.00}%")));
            facts.Add(("test loss", evaluation.Loss.ToString("0.0000", Inv)));
            facts.Add(("macro F1", evaluation.MacroF1.ToString("0.0000", Inv)));
            facts.Add(("test images", evaluation.Count.ToString("N0", Inv)));
        }
        facts.Add(("epochs trained", history.Count.ToString(Inv)));
        if (m.Best is { } best) facts.Add(("best epoch", string.Create(Inv, $"{best.Epoch} ({best.Monitor} {best.Value:0.0000})")));
        if (m.Members is { Count: > 0 } members)
        {
            facts.Add(("ensemble", string.Create(Inv, $"{members.Count} members, the mean of their probabilities")));
            for (var i = 0; i < members.Count; i++)
            {
                var member = members[i];
                facts.Add(($"member {i}", string.Create(Inv, $"{member.Source}: {member.Hyperparameters}, epoch {member.Epoch}{(member.TestAccuracy is { } a ? $", test accuracy {a * 100:0.00}%" : "")}")));
            }
        }
        else
        {
            facts.Add(("weights of epoch", m.Epoch.ToString(Inv)));
        }
        if (history.Count > 0) facts.Add(("training time", string.Create(Inv, $"{history.Sum(h => h.Seconds) / 60:0.0} min")));
        facts.Add(("parameters", m.TotalParams.ToString("N0", Inv)));
        facts.Add(("created", m.CreatedUtc.ToString("u", Inv)));

        var blocks = new List<ReportBlock> { new FactsBlock("numbers", null, facts) };
        blocks.Add(Picture(run.Folder.Path, RunPlots.Curves, "Loss and accuracy per epoch, training and validation"));
        blocks.Add(Picture(run.Folder.Path, RunPlots.Confusion, "Confusion matrix of the test evaluation"));
        blocks.Add(Picture(run.Folder.Path, RunPlots.Mistakes, "The test images the model gets wrong, the most confident first"));
        if (evaluation is not null)
        {
            blocks.Add(new TableBlock("Per class (test set)", null, ["class", "precision", "recall", "F1", "support"],
                evaluation.PerClass.Select(c => new TableRow([c.Class, F4(c.Precision), F4(c.Recall), F4(c.F1), c.Support.ToString(Inv)])).ToList()));
        }
        if (history.Count > 0)
        {
            blocks.Add(new TableBlock("History", null, ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning rate", "seconds"],
                history.Select(h => new TableRow(
                    [h.Epoch.ToString(Inv), F4(h.Loss), F4(h.Accuracy), F4(h.ValLoss), F4(h.ValAccuracy), h.LearningRate.ToString("G4", Inv), h.Seconds.ToString("0.0", Inv)],
                    Best: h.Epoch == m.Best?.Epoch)).ToList()));
        }
        blocks.Add(new FactsBlock("Hyperparameters", "Hyperparameters", Flatten(m.Hyperparameters)));
        if (m.Training is not null) blocks.Add(new FactsBlock("Training options", "Training options", Flatten(m.Training)));
        return new ReportSection("Run", run.Name, blocks);
    }

    public static ReportSection Study(LoadedStudy study, string dir)
    {
        ArgumentNullException.ThrowIfNull(study);
        var definition = study.Definition;
        var report = StudyReport.From(definition, study.Trials);
        var metric = definition.Goal.Name;
        var facts = new List<(string, string)>
        {
            ("study", study.Location),
            ("objective", $"{metric} ({definition.Goal.DirectionWord})"),
            ("trials", string.Create(Inv, $"{study.Trials.Count} ({report.Completed} completed, {report.Pruned} pruned, {report.Failed} failed); {report.EpochsTrained:0.##} epochs trained in all")),
        };
        if (report.Best is { } best) facts.Add(("best trial", string.Create(Inv, $"{best.Id}: {metric} {best.Score:0.0000} at epoch {best.BestEpoch}")));
        if (MnistStudy.From(report).BestConfig is { } config) facts.Add(("best model", config.ToString()));

        var rows = report.Trials.Select(t => new TableRow(
            [
                t.Id.ToString(Inv),
                Choice.Name(t.Status),
                t.Score is { } s ? F4(s) : "–",
                t.BestEpoch?.ToString(Inv) ?? "–",
                t.Seconds is { } sec ? sec.ToString("0", Inv) : "–",
                .. definition.Space.Select(p => t.Hyperparameters.TryGetValue(p.Name, out var v) ? p.Format(v) : "–"),
            ],
            Best: t.Id == report.Best?.Id,
            Note: t.Status == TrialStatus.Failed ? t.Message : null)).ToList();
        return new ReportSection("Study", definition.Name,
        [
            new FactsBlock("study", null, facts),
            Picture(dir, StudyPlots.HistoryName(definition.Name), $"{metric} of each trial, and the best so far"),
            Picture(dir, StudyPlots.ParamsName(definition.Name), $"Each hyperparameter against {metric}; the best trial in orange"),
            new TableBlock("Trials", "(best first)", ["trial", "status", metric, "best epoch", "seconds", .. definition.Space.Select(p => p.Name)], rows),
        ]);
    }

    public static ReportSection Pipeline(PipelineSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var facts = new List<(string, string)>
        {
            ("preset", s.Preset),
            ("trials (completed)", string.Create(Inv, $"{s.Trials} ({s.CompletedTrials})")),
            ("search", string.Create(Inv, $"{s.SearchSeconds / 60:0.0} min")),
            ("best trial", s.BestTrial is { } b ? string.Create(Inv, $"{b} (score {s.BestTrialScore:0.0000})") : "–"),
            ("final configuration", s.FinalConfig.ToString()),
            ("final training", string.Create(Inv, $"{s.FinalEpochs} epochs, {s.FinalSeconds / 60:0.0} min")),
            ("test accuracy", string.Create(Inv, $"{s.TestAccuracy * 100:0.00}%")),
            ("test loss", s.TestLoss.ToString("0.0000", Inv)),
        };
        if (s.SeedTestAccuracy is { } seed) facts.Add(("seed model, same budget", string.Create(Inv, $"{seed * 100:0.00}% ({s.SeedEpochs} epochs, {s.SeedSeconds / 60:0.0} min)")));
        if (s.EnsembleTestAccuracy is { } ensemble)
        {
            facts.Add(("ensemble", string.Create(Inv, $"{s.EnsembleSize} models (the final one and {s.EnsembleSize - 1} from {s.EnsembleFrom}): test accuracy {ensemble * 100:0.00}%, loss {s.EnsembleTestLoss:0.0000}; {s.EnsembleSeconds / 60:0.0} min")));
        }
        facts.Add(("total", string.Create(Inv, $"{s.TotalSeconds / 60:0.0} min")));
        return new ReportSection("Pipeline", null, [new FactsBlock("pipeline", null, facts)]);
    }

    private static PictureBlock Picture(string dir, string name, string caption)
    {
        var svg = Path.Combine(dir, name + ".svg");
        return new PictureBlock(name, caption, File.Exists(svg) ? File.ReadAllBytes(svg) : null);
    }

    private static string F4(double x) => x.ToString("0.0000", Inv);

    /// <summary>An object's JSON (the model file's own spelling, snake_case) as dotted keys and values.</summary>
    private static List<(string, string)> Flatten<T>(T value)
    {
        var rows = new List<(string, string)>();
        using var doc = JsonDocument.Parse(Json.Serialize(value));
        void Walk(JsonElement e, string prefix)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name);
                    break;
                case JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                    rows.Add((prefix, "[" + string.Join(", ", e.EnumerateArray().Select(x => x.ToString())) + "]"));
                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var x in e.EnumerateArray()) Walk(x, $"{prefix}[{i++}]");
                    break;
                default:
                    rows.Add((prefix, e.ToString()));
                    break;
            }
        }
        Walk(doc.RootElement, "");
        return rows;
    }
}
