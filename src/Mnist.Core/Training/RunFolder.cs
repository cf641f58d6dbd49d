using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Reporting;

namespace Mnist.Core.Training;

/// <summary>
/// A training run's folder, and the one place that knows its layout. While the run trains, its
/// checkpoint (<c>checkpoint.ckpt</c>: the manifest, the last epoch's weights and the best epoch's,
/// Adam's state, the loop's state and the history) is its single source: written once per epoch,
/// and all a resume reads. When the run ends, everything else is exported from what it left, each
/// file once: <c>model.ckpt</c> (the best weights, self-describing, with the test evaluation),
/// <c>history.json</c> and <c>history.csv</c>, <c>evaluation.json</c>, <c>mistakes.json</c> and the
/// pictures (<see cref="RunPlots"/>). <c>report.html</c> is <c>mnist report</c>'s.
/// </summary>
public sealed class RunFolder
{
    public const string ModelFileName = "model.ckpt";
    public const string CheckpointFileName = "checkpoint.ckpt";
    public const string HistoryJsonName = "history.json";
    public const string HistoryCsvName = "history.csv";
    public const string EvaluationName = "evaluation.json";
    public const string MistakesName = "mistakes.json";

    public RunFolder(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }
    public string ModelPath => In(ModelFileName);
    public string CheckpointPath => In(CheckpointFileName);
    public string HistoryJsonPath => In(HistoryJsonName);
    public string HistoryCsvPath => In(HistoryCsvName);
    public string EvaluationPath => In(EvaluationName);
    public string MistakesPath => In(MistakesName);

    /// <summary>Whether the run finished (its model file is written).</summary>
    public bool HasModel => File.Exists(ModelPath);

    /// <summary>Whether a run was started here (and can be resumed, or was finished).</summary>
    public bool HasCheckpoint => File.Exists(CheckpointPath);

    /// <summary>Whether the folder holds a run, finished or not.</summary>
    public bool HoldsRun => HasModel || HasCheckpoint;

    /// <summary>
    /// The model file a path names: a run folder's <c>model.ckpt</c>, or the file itself. A run
    /// folder whose run has not finished (a checkpoint, no model file yet) is an error that says so.
    /// </summary>
    public static string ModelPathOf(string modelOrRunDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelOrRunDir);
        if (!Directory.Exists(modelOrRunDir)) return modelOrRunDir;
        var run = new RunFolder(modelOrRunDir);
        if (!run.HasModel && run.HasCheckpoint)
        {
            throw new FileNotFoundException(
                $"{run.ModelPath}: not written yet: the run in {run.Path} has not finished (it holds only {CheckpointFileName}); resume the training to finish it", run.ModelPath);
        }
        return run.ModelPath;
    }

    public void SaveCheckpoint(ModelFileContents checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        Directory.CreateDirectory(Path);
        ModelFile.Save(CheckpointPath, checkpoint);
    }

    public ModelFileContents ReadCheckpoint() => ModelFile.Read(CheckpointPath);

    /// <summary>
    /// The best epoch's weights of a checkpoint read from this folder: its own when its epoch is the
    /// best, else those it keeps beside them. A checkpoint written before checkpoints kept them
    /// (the model file then held the best weights) falls back to the folder's model file.
    /// </summary>
    public byte[]? BestWeightsOf(ModelFileContents checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.BestWeights is { } best) return best;
        if (checkpoint.TrainerState is { } state && state.BestEpoch == state.EpochsDone) return checkpoint.Weights;
        return HasModel ? ModelFile.Read(ModelPath).Weights : null;
    }

    /// <summary>
    /// The run as it stands: its model file when it finished, else its checkpoint (the history so
    /// far, no test evaluation). A folder from an older version, whose model file was saved at
    /// every improving epoch, counts as finished when the model file or evaluation.json holds the
    /// test evaluation.
    /// </summary>
    public ModelFileContents ReadLatest()
    {
        if (!HasModel) return ReadCheckpoint();
        var model = ModelFile.Read(ModelPath);
        return model.Evaluation is not null || !HasCheckpoint || File.Exists(EvaluationPath) ? model : ReadCheckpoint();
    }

    /// <summary>
    /// The finished run's exports, each written once: the model file, the history as JSON and CSV,
    /// the test evaluation, the mistakes and the pictures. Returns the pictures' names.
    /// </summary>
    public IReadOnlyList<string> Export(ModelFileContents model, MistakeSet mistakes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(mistakes);
        if (model.Evaluation is null) throw new ArgumentException("a finished run's model file holds its test evaluation", nameof(model));
        Directory.CreateDirectory(Path);
        ModelFile.Save(ModelPath, model);
        AtomicFile.WriteAllText(HistoryJsonPath, Json.Serialize(model.History));
        AtomicFile.WriteAllText(HistoryCsvPath, HistoryCsv.Format(model.History));
        AtomicFile.WriteAllText(EvaluationPath, Json.Serialize(model.Evaluation));
        SaveMistakes(mistakes);
        return RunPlots.WriteAll(Path, model.History, model.Manifest.Best?.Epoch, model.Evaluation, mistakes, model.Manifest.ClassNames);
    }

    /// <summary>The test evaluation: the model file's, or (a model file saved before it held one) evaluation.json's; null when neither has it.</summary>
    public EvaluationResult? ReadEvaluation(ModelFileContents latest)
    {
        ArgumentNullException.ThrowIfNull(latest);
        return latest.Evaluation ?? ReadJson<EvaluationResult>(EvaluationPath);
    }

    /// <summary>The most confident test mistakes, or null in a run folder written before they were saved.</summary>
    public MistakeSet? ReadMistakes() => ReadJson<MistakeSet>(MistakesPath);

    public void SaveMistakes(MistakeSet mistakes) => AtomicFile.WriteAllText(MistakesPath, Json.Serialize(mistakes));

    private string In(string name) => System.IO.Path.Combine(Path, name);

    private static T? ReadJson<T>(string path) where T : class =>
        File.Exists(path) ? Json.Deserialize<T>(File.ReadAllText(path), path) : null;
}
