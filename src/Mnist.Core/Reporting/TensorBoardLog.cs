using System.Globalization;
using System.Text;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Core.Tuning;
using TorchSharp;

namespace Mnist.Core.Reporting;

/// <summary>
/// TensorBoard event files through TorchSharp's <c>torch.utils.tensorboard.SummaryWriter</c>.
/// A training run writes, per epoch, the scalars <c>loss</c>, <c>accuracy</c>, <c>val_loss</c>,
/// <c>val_accuracy</c> and <c>learning_rate</c>. TorchSharp 0.107.0's writer has no
/// <c>add_hparams</c>, so a trial's hyperparameters go in as text (<c>hparams</c>, a Markdown
/// table, in the TEXT tab) and as scalars <c>hparams/NAME</c> at step 0, under the trial's own
/// folder <c>trial_N</c>; the study's folder gets <c>study/score</c> and <c>study/best_score</c> per trial.
/// </summary>
public sealed class TensorBoardLog
{
    public const string Loss = "loss";
    public const string Accuracy = "accuracy";
    public const string ValLoss = "val_loss";
    public const string ValAccuracy = "val_accuracy";
    public const string LearningRate = "learning_rate";

    private readonly TorchSharp.Modules.SummaryWriter _writer;

    public TensorBoardLog(string logDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDir);
        LogDir = Path.GetFullPath(logDir);
        Directory.CreateDirectory(LogDir);
        _writer = torch.utils.tensorboard.SummaryWriter(LogDir);
    }

    public string LogDir { get; }

    /// <summary>The folder of a trial's events in a study's TensorBoard folder.</summary>
    public static string TrialDir(string studyLogDir, int trialId) => Path.Combine(studyLogDir, $"trial_{trialId}");

    public void Epoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Scalar(Loss, record.Loss, record.Epoch);
        Scalar(Accuracy, record.Accuracy, record.Epoch);
        Scalar(ValLoss, record.ValLoss, record.Epoch);
        Scalar(ValAccuracy, record.ValAccuracy, record.Epoch);
        Scalar(LearningRate, record.LearningRate, record.Epoch);
    }

    /// <summary>A trial's hyperparameters, as a Markdown table and as one scalar each.</summary>
    public void Hyperparameters(TrialRecord trial, IReadOnlyList<HyperParameter> space)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(space);
        var text = new StringBuilder($"trial {trial.Id}\n\n| hyperparameter | value |\n|---|---|\n");
        foreach (var p in space)
        {
            if (!trial.Hyperparameters.TryGetValue(p.Name, out var v)) continue;
            text.Append(CultureInfo.InvariantCulture, $"| {p.Name} | {p.Format(v)} |\n");
            Scalar("hparams/" + p.Name, v, 0);
        }
        _writer.add_text("hparams", text.ToString(), 0);
    }

    /// <summary>A study's progress: the trial's score and the best so far, at step = trial id.</summary>
    public void Trial(int trialId, double score, double bestSoFar)
    {
        Scalar("study/score", score, trialId);
        Scalar("study/best_score", bestSoFar, trialId);
    }

    private void Scalar(string tag, double value, int step) => _writer.add_scalar(tag, (float)value, step);
}

/// <summary>Passes every training event on, and logs each finished epoch to TensorBoard.</summary>
public sealed class TensorBoardObserver(TensorBoardLog log, ITrainingObserver? inner = null) : ITrainingObserver
{
    public TensorBoardLog Log { get; } = log;

    public void OnEpochBegin(int epoch, int epochs, int batches) => inner?.OnEpochBegin(epoch, epochs, batches);

    public void OnBatchEnd(int batch, int batches, double loss, double accuracy) => inner?.OnBatchEnd(batch, batches, loss, accuracy);

    public void OnEpochEnd(EpochRecord record, bool improved, TrainerState state)
    {
        Log.Epoch(record);
        inner?.OnEpochEnd(record, improved, state);
    }

    public void OnInfo(string message) => inner?.OnInfo(message);
}
