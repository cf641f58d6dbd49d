using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Core.Tests.Reporting;

public sealed class TensorBoardTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Given_epochs_When_logged_Then_the_event_file_holds_valid_records_with_every_scalar_tag()
    {
        var log = new TensorBoardLog(_dir.Path);
        var observer = new TensorBoardObserver(log);

        foreach (var record in RunPlotsTests.History(3)) observer.OnEpochEnd(record, true, TrainerState.Initial(1e-3));

        var file = Assert.Single(Directory.GetFiles(_dir.Path, "events.out.tfevents.*"));
        Assert.True(new FileInfo(file).Length > 100);
        var records = TfRecords.Read(file);
        Assert.Equal(1 + 3 * 5, records.Count); // the file-version record, then five scalars per epoch
        Assert.True(TfRecords.Contains(records, "brain.Event:2"));
        foreach (var tag in new[] { "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate" }) Assert.True(TfRecords.Contains(records, tag), tag);
    }

    [Fact]
    public void Given_a_trial_When_its_hyperparameters_are_logged_Then_they_are_text_and_scalars_under_its_folder()
    {
        var space = ModelBuilder.SeedSearchSpace();
        var unit = Enumerable.Repeat(0.5, space.Dimensions).ToArray();
        var trial = new TrialRecord(4, TrialStatus.Running, space.FromUnit(unit), unit, null, null, null, "w", null, null, null, null, 1);

        var log = new TensorBoardLog(TensorBoardLog.TrialDir(_dir.Path, trial.Id));
        log.Hyperparameters(trial, space.Parameters);

        Assert.Equal(Path.Combine(_dir.Path, "trial_4"), log.LogDir);
        var records = TfRecords.ReadAll(log.LogDir);
        Assert.True(TfRecords.Contains(records, "hparams"));
        Assert.True(TfRecords.Contains(records, "| conv1_filters | "));
        foreach (var p in space.Parameters) Assert.True(TfRecords.Contains(records, "hparams/" + p.Name), p.Name);
    }
}
