using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Reporting;

/// <summary>A run as a report reads it: its name on the page, its folder, the run as it stands, and its test evaluation (null until it has one).</summary>
public sealed record LoadedRun(string Name, RunFolder Folder, ModelFileContents Contents, EvaluationResult? Evaluation);

/// <summary>A study as a report reads it: where it is (a file, or a masked storage URL and name), its definition and its trials.</summary>
public sealed record LoadedStudy(string Location, StudyDefinition Definition, IReadOnlyList<TrialRecord> Trials);

/// <summary>
/// The first step of <c>mnist report</c>: what a folder holds, read and nothing else. The folder
/// itself when it holds a run, and its sub-folders that do (a pipeline's final/ first); each
/// study file (*.db) in it, and a study held elsewhere when the request names one; the pipeline's
/// summary when there is one. <see cref="Notes"/> says what could not be read.
/// </summary>
public sealed record ReportSources(string Dir, PipelineSummary? Pipeline, IReadOnlyList<LoadedRun> Runs, IReadOnlyList<LoadedStudy> Studies, IReadOnlyList<string> Notes)
{
    public static ReportSources Load(ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var dir = Path.GetFullPath(request.Dir);
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{dir}: no such folder (expected a training run's folder, or the output folder of a search or a pipeline)");
        }
        if (request.Storage is not null && request.Study is null) throw new ArgumentException("a report with a study storage needs the study's name");
        var runDirs = RunFolders(dir);
        var studyFiles = Directory.GetFiles(dir, "*.db").Order(StringComparer.Ordinal).ToList();
        if (runDirs.Count == 0 && studyFiles.Count == 0 && request.Storage is null)
        {
            throw new InvalidOperationException($"{dir}: holds no run ({RunFolder.ModelFileName} or {RunFolder.CheckpointFileName}), no run folder with one, and no study (*.db); nothing to report");
        }

        var notes = new List<string>();
        var pipelinePath = Path.Combine(dir, PipelineRun.SummaryFileName);
        var pipeline = File.Exists(pipelinePath) ? Json.Deserialize<PipelineSummary>(File.ReadAllText(pipelinePath), pipelinePath) : null;
        var runs = new List<LoadedRun>();
        foreach (var folder in runDirs)
        {
            var name = folder.Path == dir ? Path.GetFileName(dir) : Path.GetRelativePath(dir, folder.Path);
            var contents = folder.ReadLatest();
            var evaluation = folder.ReadEvaluation(contents);
            if (evaluation is null)
            {
                notes.Add($"{name}: {folder.Path} holds no test evaluation (the run did not finish), so there is no confusion matrix and no mistakes; evaluating {folder.Path} on the test set gives them");
            }
            runs.Add(new LoadedRun(name, folder, contents, evaluation));
        }
        var studies = new List<LoadedStudy>();
        foreach (var file in studyFiles)
        {
            if (Study(() => SqliteStudyStore.OpenExisting(file), file, notes) is { } study) studies.Add(study);
        }
        if (request.Storage is { } storage)
        {
            var location = StorageUrl.Mask(storage) + " " + request.Study;
            if (Study(() => StudyStorage.OpenExisting(storage, request.Study!), location, notes) is { } study) studies.Add(study);
        }
        return new ReportSources(dir, pipeline, runs, studies, notes);
    }

    /// <summary>The folder itself when it holds a run, and its sub-folders that do (a pipeline's final/ first).</summary>
    private static List<RunFolder> RunFolders(string dir)
    {
        var runs = new List<RunFolder>();
        if (new RunFolder(dir) is { HoldsRun: true } self) runs.Add(self);
        runs.AddRange(Directory.GetDirectories(dir)
            .Select(d => new RunFolder(d))
            .Where(r => r.HoldsRun)
            .OrderBy(r => Path.GetFileName(r.Path) == PipelineRun.FinalDir ? 0 : 1).ThenBy(r => r.Path, StringComparer.Ordinal));
        return runs;
    }

    private static LoadedStudy? Study(Func<IStudyStore> open, string where, List<string> notes)
    {
        try
        {
            using var store = open();
            return new LoadedStudy(where, store.Definition, store.Trials());
        }
        catch (InvalidDataException e)
        {
            notes.Add($"{where}: not shown ({e.Message})");
            return null;
        }
    }
}
