using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Reporting;

/// <summary>What <c>mnist report</c> asks for.</summary>
public sealed record ReportRequest
{
    /// <summary>A run folder (holding model.ckpt), or the --out folder of <c>mnist tune</c> or <c>mnist pipeline</c>.</summary>
    public required string Dir { get; init; }

    /// <summary>The data, needed only to find the mistakes of a run that predates mistakes.json.</summary>
    public string? DataDir { get; init; }
    public int? Threads { get; init; }
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>A study held elsewhere (a PostgreSQL URL, or a sqlite:/// file) to include as well: its name is <see cref="Study"/>.</summary>
    public string? Storage { get; init; }

    /// <summary>The study in <see cref="Storage"/> to include.</summary>
    public string? Study { get; init; }
}

/// <summary>What a report holds: its file, the runs and studies in it, the pictures it had to draw, and what it could not show.</summary>
public sealed record ReportOutcome(string Path, IReadOnlyList<string> Runs, IReadOnlyList<string> Studies, IReadOnlyList<string> Drawn, IReadOnlyList<string> Notes);

/// <summary>
/// <c>mnist report</c>: one self-contained HTML page (DIR/report.html, pictures inlined as data:
/// URIs) with a run's numbers (test accuracy and loss, per-class precision / recall / F1,
/// epochs, best epoch), its pictures and its hyperparameters; for a tune or pipeline folder,
/// also each study's pictures and trials table. Pictures missing from a folder (older runs) are
/// drawn from the saved history, evaluation and mistakes first; a run saved before mistakes.json
/// existed is evaluated again on the test set for them.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<ReportOutcome> WriteAsync(ReportRequest request, TextWriter? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        log ??= TextWriter.Null;
        var dir = Path.GetFullPath(request.Dir);
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{dir}: no such folder (expected a training run's folder, or the output folder of a search or a pipeline)");
        }
        var runDirs = RunFolders(dir);
        var studyFiles = Directory.GetFiles(dir, "*.db").Order(StringComparer.Ordinal).ToList();
        var pipelinePath = Path.Combine(dir, "pipeline.json");
        if (request.Storage is not null && request.Study is null) throw new ArgumentException("a report with a study storage needs the study's name");
        if (runDirs.Count == 0 && studyFiles.Count == 0 && request.Storage is null)
        {
            throw new InvalidOperationException($"{dir}: holds no {RunFolder.ModelFileName}, no run folder with one, and no study (*.db); nothing to report");
        }

        var drawn = new List<string>();
        var notes = new List<string>();
        var html = new StringBuilder();
        Head(html, Path.GetFileName(dir));
        if (File.Exists(pipelinePath))
        {
            Pipeline(html, Json.Deserialize<PipelineSummary>(await File.ReadAllTextAsync(pipelinePath, ct).ConfigureAwait(false), pipelinePath));
        }
        var runs = new List<string>();
        foreach (var runDir in runDirs)
        {
            var name = runDir == dir ? Path.GetFileName(dir) : Path.GetRelativePath(dir, runDir);
            await Run(html, name, runDir, request, drawn, notes, log, ct).ConfigureAwait(false);
            runs.Add(runDir);
        }
        var studies = new List<string>();
        foreach (var file in studyFiles)
        {
            if (Study(html, () => SqliteStudyStore.OpenExisting(file), file, dir, drawn, notes)) studies.Add(file);
        }
        if (request.Storage is { } storage)
        {
            var location = StorageUrl.Mask(storage) + " " + request.Study;
            if (Study(html, () => StudyStorage.OpenExisting(storage, request.Study!), location, dir, drawn, notes)) studies.Add(location);
        }
        if (notes.Count > 0)
        {
            html.Append("<h2>Not shown</h2><ul>");
            foreach (var n in notes) html.Append(Inv, $"<li>{E(n)}</li>");
            html.Append("</ul>");
        }
        html.Append("</body></html>\n");
        var path = Path.Combine(dir, FileName);
        AtomicFile.WriteAllText(path, html.ToString());
        foreach (var n in notes) log.WriteLine($"note: {n}");
        return new ReportOutcome(path, runs, studies, drawn, notes);
    }

    /// <summary>The folder itself when it holds a model file, and its sub-folders that do (a pipeline's final/ first).</summary>
    private static List<string> RunFolders(string dir)
    {
        var runs = new List<string>();
        if (File.Exists(Path.Combine(dir, RunFolder.ModelFileName))) runs.Add(dir);
        runs.AddRange(Directory.GetDirectories(dir)
            .Where(d => File.Exists(Path.Combine(d, RunFolder.ModelFileName)))
            .OrderBy(d => Path.GetFileName(d) == "final" ? 0 : 1).ThenBy(d => d, StringComparer.Ordinal));
        return runs;
    }

    private static async Task Run(StringBuilder html, string name, string runDir, ReportRequest request, List<string> drawn, List<string> notes, TextWriter log, CancellationToken ct)
    {
        var modelPath = Path.Combine(runDir, RunFolder.ModelFileName);
        var contents = ModelFile.Read(modelPath);
        var m = contents.Manifest;
        var history = History(runDir, contents);
        var evaluation = contents.Evaluation ?? ReadJson<EvaluationResult>(Path.Combine(runDir, RunFolder.EvaluationName));
        var classNames = m.ClassNames;

        if (!PlotFiles.Exists(runDir, RunPlots.Curves) && history.Count > 0)
        {
            RunPlots.WriteCurves(runDir, history, m.Best?.Epoch);
            drawn.Add(Path.Combine(runDir, RunPlots.Curves));
        }
        if (evaluation is null)
        {
            notes.Add($"{name}: {modelPath} holds no test evaluation (the run did not finish), so there is no confusion matrix and no mistakes; evaluating {runDir} on the test set gives them");
        }
        else
        {
            if (!PlotFiles.Exists(runDir, RunPlots.Confusion))
            {
                RunPlots.WriteConfusion(runDir, evaluation, classNames);
                drawn.Add(Path.Combine(runDir, RunPlots.Confusion));
            }
            if (!PlotFiles.Exists(runDir, RunPlots.Mistakes))
            {
                var mistakes = await Mistakes(runDir, name, modelPath, m, request, notes, log, ct).ConfigureAwait(false);
                if (mistakes is not null)
                {
                    RunPlots.WriteMistakes(runDir, mistakes, classNames);
                    drawn.Add(Path.Combine(runDir, RunPlots.Mistakes));
                }
            }
        }

        html.Append(Inv, $"<h2>Run <code>{E(name)}</code></h2>");
        var facts = new List<(string, string)>
        {
            ("dataset", m.Dataset),
            ("classes", string.Join(", ", classNames)),
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
        facts.Add(("weights of epoch", m.Epoch.ToString(Inv)));
        if (history.Count > 0) facts.Add(("training time", string.Create(Inv, $"{history.Sum(h => h.Seconds) / 60:0.0} min")));
        facts.Add(("parameters", m.TotalParams.ToString("N0", Inv)));
        facts.Add(("created", m.CreatedUtc.ToString("u", Inv)));
        KeyValues(html, "numbers", facts);

        foreach (var (picture, caption) in new[]
                 {
                     (RunPlots.Curves, "Loss and accuracy per epoch, training and validation"),
                     (RunPlots.Confusion, "Confusion matrix of the test evaluation"),
                     (RunPlots.Mistakes, "The test images the model gets wrong, the most confident first"),
                 })
        {
            Picture(html, runDir, picture, caption);
        }

        if (evaluation is not null)
        {
            html.Append("<h3>Per class (test set)</h3><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>");
            foreach (var c in evaluation.PerClass)
            {
                html.Append(Inv, $"<tr><td>{E(c.Class)}</td><td>{c.Precision:0.0000}</td><td>{c.Recall:0.0000}</td><td>{c.F1:0.0000}</td><td>{c.Support}</td></tr>");
            }
            html.Append("</table>");
        }
        if (history.Count > 0)
        {
            html.Append("<h3>History</h3><table><tr><th>epoch</th><th>loss</th><th>accuracy</th><th>val_loss</th><th>val_accuracy</th><th>learning rate</th><th>seconds</th></tr>");
            foreach (var h in history)
            {
                html.Append(Inv, $"<tr{(h.Epoch == m.Best?.Epoch ? " class=\"best\"" : "")}><td>{h.Epoch}</td><td>{h.Loss:0.0000}</td><td>{h.Accuracy:0.0000}</td><td>{h.ValLoss:0.0000}</td><td>{h.ValAccuracy:0.0000}</td><td>{h.LearningRate:G4}</td><td>{h.Seconds:0.0}</td></tr>");
            }
            html.Append("</table>");
        }
        KeyValues(html, "Hyperparameters", Flatten(m.Hyperparameters));
        if (m.Training is not null) KeyValues(html, "Training options", Flatten(m.Training));
    }

    /// <summary>The fuller of the folder's history.json and the model file's history (a model file saved mid-run stops at its best epoch).</summary>
    private static IReadOnlyList<EpochRecord> History(string runDir, ModelFileContents contents)
    {
        var fromFolder = ReadJson<List<EpochRecord>>(Path.Combine(runDir, RunFolder.HistoryJsonName));
        return fromFolder is not null && fromFolder.Count > contents.History.Count ? fromFolder : contents.History;
    }

    private static async Task<MistakeSet?> Mistakes(string runDir, string name, string modelPath, ModelManifest manifest, ReportRequest request, List<string> notes, TextWriter log, CancellationToken ct)
    {
        var saved = ReadJson<MistakeSet>(Path.Combine(runDir, RunFolder.MistakesName));
        if (saved is not null) return saved;
        log.WriteLine($"{name}: no {RunFolder.MistakesName} (an older run); evaluating {modelPath} on the test set again to find the mistakes");
        try
        {
            var device = Engine.Configure(request.Threads, request.Device);
            var info = DatasetInfo.ByName(manifest.Dataset);
            var dataset = await Dataset.LoadOrDownloadAsync(request.DataDir, info, log, includeTrain: false, ct: ct).ConfigureAwait(false);
            var (network, _) = ModelFile.LoadModel(modelPath, device);
            using (network)
            {
                var (_, mistakes) = Evaluator.EvaluateWithMistakes(network, dataset.Test, manifest.Normalization, manifest.ClassNames, device);
                AtomicFile.WriteAllText(Path.Combine(runDir, RunFolder.MistakesName), Json.Serialize(mistakes));
                return mistakes;
            }
        }
        catch (Exception e) when (e is DataUnavailableException or IdxFormatException or IOException or InvalidDataException or ArgumentException)
        {
            notes.Add($"{name}: no picture of the mistakes: {RunFolder.MistakesName} is missing and the test set could not be evaluated again ({e.Message})");
            return null;
        }
    }

    private static bool Study(StringBuilder html, Func<IStudyStore> open, string where, string dir, List<string> drawn, List<string> notes)
    {
        StudyDefinition definition;
        IReadOnlyList<TrialRecord> trials;
        try
        {
            using var store = open();
            definition = store.Definition;
            trials = store.Trials();
        }
        catch (InvalidDataException e)
        {
            notes.Add($"{where}: not shown ({e.Message})");
            return false;
        }
        if (!PlotFiles.Exists(dir, StudyPlots.HistoryName(definition.Name)) || !PlotFiles.Exists(dir, StudyPlots.ParamsName(definition.Name)))
        {
            StudyPlots.Write(dir, definition, trials);
            drawn.Add(Path.Combine(dir, StudyPlots.HistoryName(definition.Name)));
            drawn.Add(Path.Combine(dir, StudyPlots.ParamsName(definition.Name)));
        }
        var report = StudyReport.From(definition, trials);
        var metric = definition.Goal.Name;
        html.Append(Inv, $"<h2>Study <code>{E(definition.Name)}</code></h2>");
        var facts = new List<(string, string)>
        {
            ("study", where),
            ("objective", $"{metric} ({definition.Goal.DirectionWord})"),
            ("trials", string.Create(Inv, $"{trials.Count} ({report.Completed} completed, {report.Pruned} pruned, {report.Failed} failed); {report.EpochsTrained:0.##} epochs trained in all")),
        };
        if (report.Best is { } best) facts.Add(("best trial", string.Create(Inv, $"{best.Id}: {metric} {best.Score:0.0000} at epoch {best.BestEpoch}")));
        if (MnistStudy.From(report).BestConfig is { } config) facts.Add(("best model", config.ToString()));
        KeyValues(html, "study", facts);
        Picture(html, dir, StudyPlots.HistoryName(definition.Name), $"{metric} of each trial, and the best so far");
        Picture(html, dir, StudyPlots.ParamsName(definition.Name), $"Each hyperparameter against {metric}; the best trial in orange");

        html.Append("<h3>Trials <span class=\"muted\">(best first)</span></h3><table><tr><th>trial</th><th>status</th>");
        html.Append(Inv, $"<th>{E(metric)}</th><th>best epoch</th><th>seconds</th>");
        foreach (var p in definition.Space) html.Append(Inv, $"<th>{E(p.Name)}</th>");
        html.Append("</tr>");
        foreach (var t in report.Trials)
        {
            html.Append(Inv, $"<tr{(t.Id == report.Best?.Id ? " class=\"best\"" : "")}><td>{t.Id}</td><td>{E(Choice.Name(t.Status))}</td>");
            html.Append(Inv, $"<td>{(t.Score is { } s ? s.ToString("0.0000", Inv) : "–")}</td><td>{t.BestEpoch?.ToString(Inv) ?? "–"}</td><td>{(t.Seconds is { } sec ? sec.ToString("0", Inv) : "–")}</td>");
            foreach (var p in definition.Space) html.Append(Inv, $"<td>{E(t.Hyperparameters.TryGetValue(p.Name, out var v) ? p.Format(v) : "–")}</td>");
            html.Append("</tr>");
            if (t.Status == TrialStatus.Failed && t.Message is { } why) html.Append(Inv, $"<tr><td></td><td colspan=\"{definition.Space.Count + 4}\" class=\"muted\">{E(why)}</td></tr>");
        }
        html.Append("</table>");
        return true;
    }

    private static void Pipeline(StringBuilder html, PipelineSummary s)
    {
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
        facts.Add(("total", string.Create(Inv, $"{s.TotalSeconds / 60:0.0} min")));
        html.Append("<h2>Pipeline</h2>");
        KeyValues(html, "pipeline", facts);
    }

    private static void Picture(StringBuilder html, string dir, string name, string caption)
    {
        var svg = Path.Combine(dir, name + ".svg");
        if (!File.Exists(svg)) return;
        var data = Convert.ToBase64String(File.ReadAllBytes(svg));
        html.Append(Inv, $"<figure><img src=\"data:image/svg+xml;base64,{data}\" alt=\"{E(caption)}\" data-picture=\"{E(name)}\"><figcaption>{E(caption)} <span class=\"muted\">({E(name)}.svg, {E(name)}.png)</span></figcaption></figure>");
    }

    private static void KeyValues(StringBuilder html, string title, IEnumerable<(string Key, string Value)> rows)
    {
        if (title != "numbers" && title != "study" && title != "pipeline") html.Append(Inv, $"<h3>{E(title)}</h3>");
        html.Append(Inv, $"<table class=\"facts\" data-table=\"{E(title)}\">");
        foreach (var (k, v) in rows) html.Append(Inv, $"<tr><th>{E(k)}</th><td>{E(v)}</td></tr>");
        html.Append("</table>");
    }

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

    private static T? ReadJson<T>(string path) where T : class =>
        File.Exists(path) ? Json.Deserialize<T>(File.ReadAllText(path), path) : null;

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static void Head(StringBuilder html, string title)
    {
        html.Append(Inv, $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Report: {{E(title)}}</title>
            <style>
            body { font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; max-width: 1200px; margin: 0 auto; padding: 0 16px 40px; color: #1b1f24; }
            h2 { border-top: 1px solid #d9dee5; padding-top: 14px; margin-top: 28px; }
            table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; margin: 8px 0 16px; }
            th, td { padding: 2px 8px; border: 1px solid #d9dee5; text-align: right; white-space: nowrap; }
            th:first-child, td:first-child, table.facts th { text-align: left; }
            table.facts td { text-align: left; white-space: normal; }
            tr.best td { background: #fff3e0; font-weight: 600; }
            figure { margin: 12px 0 20px; } figure img { max-width: 100%; height: auto; border: 1px solid #d9dee5; }
            figcaption, .muted { color: #5f6b7a; font-size: 0.85rem; }
            </style></head><body>
            <h1>Report: <code>{{E(title)}}</code></h1>
            <p class="muted">Written {{DateTimeOffset.UtcNow:u}} by mnist report.</p>

            """);
    }
}
