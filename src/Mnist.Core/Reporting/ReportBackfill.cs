using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;

namespace Mnist.Core.Reporting;

/// <summary>What backfilling drew (each picture's path, without extension) and what it could not.</summary>
public sealed record BackfillOutcome(IReadOnlyList<string> Drawn, IReadOnlyList<string> Notes);

/// <summary>
/// The explicit step between reading a report's folder and drawing its page: the pictures a folder
/// lacks (a run from an older version, a study reported for the first time) are drawn from what is
/// saved, a run's curves from its history, its confusion matrix from its evaluation, its mistakes
/// from mistakes.json; a run saved before mistakes.json existed is evaluated again on the test set
/// for them (the data needed then), and mistakes.json written. Nothing is drawn again that exists.
/// </summary>
public static class ReportBackfill
{
    public static async Task<BackfillOutcome> RunAsync(ReportSources sources, ReportRequest request, TextWriter log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(request);
        var drawn = new List<string>();
        var notes = new List<string>();
        foreach (var run in sources.Runs) await Run(run, request, drawn, notes, log, ct).ConfigureAwait(false);
        foreach (var study in sources.Studies)
        {
            var name = study.Definition.Name;
            if (!PlotFiles.Exists(sources.Dir, StudyPlots.HistoryName(name)) || !PlotFiles.Exists(sources.Dir, StudyPlots.ParamsName(name)))
            {
                StudyPlots.Write(sources.Dir, study.Definition, study.Trials);
                drawn.Add(Path.Combine(sources.Dir, StudyPlots.HistoryName(name)));
                drawn.Add(Path.Combine(sources.Dir, StudyPlots.ParamsName(name)));
            }
        }
        return new BackfillOutcome(drawn, notes);
    }

    private static async Task Run(LoadedRun run, ReportRequest request, List<string> drawn, List<string> notes, TextWriter log, CancellationToken ct)
    {
        var dir = run.Folder.Path;
        var m = run.Contents.Manifest;
        if (!PlotFiles.Exists(dir, RunPlots.Curves) && run.Contents.History.Count > 0)
        {
            RunPlots.WriteCurves(dir, run.Contents.History, m.Best?.Epoch);
            drawn.Add(Path.Combine(dir, RunPlots.Curves));
        }
        if (run.Evaluation is not { } evaluation) return;
        if (!PlotFiles.Exists(dir, RunPlots.Confusion))
        {
            RunPlots.WriteConfusion(dir, evaluation, m.ClassNames);
            drawn.Add(Path.Combine(dir, RunPlots.Confusion));
        }
        if (!PlotFiles.Exists(dir, RunPlots.Mistakes) && await Mistakes(run, request, notes, log, ct).ConfigureAwait(false) is { } mistakes)
        {
            RunPlots.WriteMistakes(dir, mistakes, m.ClassNames);
            drawn.Add(Path.Combine(dir, RunPlots.Mistakes));
        }
    }

    private static async Task<MistakeSet?> Mistakes(LoadedRun run, ReportRequest request, List<string> notes, TextWriter log, CancellationToken ct)
    {
        if (run.Folder.ReadMistakes() is { } saved) return saved;
        var modelPath = run.Folder.ModelPath;
        log.WriteLine($"{run.Name}: no {Training.RunFolder.MistakesName} (an older run); evaluating {modelPath} on the test set again to find the mistakes");
        try
        {
            var manifest = run.Contents.Manifest;
            var device = Engine.Configure(request.Threads, request.Device);
            var info = DatasetInfo.ByName(manifest.Dataset);
            var dataset = await Dataset.LoadOrDownloadAsync(request.DataDir, info, log, includeTrain: false, ct: ct).ConfigureAwait(false);
            var (network, _) = ModelFile.LoadModel(modelPath, device);
            using (network)
            {
                var (_, mistakes) = Evaluator.EvaluateWithMistakes(network, dataset.Test, manifest.Normalization, manifest.ClassNames, device);
                run.Folder.SaveMistakes(mistakes);
                return mistakes;
            }
        }
        catch (Exception e) when (e is DataUnavailableException or IdxFormatException or IOException or InvalidDataException or ArgumentException)
        {
            notes.Add($"{run.Name}: no picture of the mistakes: {Training.RunFolder.MistakesName} is missing and the test set could not be evaluated again ({e.Message})");
            return null;
        }
    }
}
