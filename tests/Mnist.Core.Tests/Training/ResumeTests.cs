using Mnist.Core.Model;
using Mnist.Testing;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Training;

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class ResumeTests
{
    private static TrainRequest Request(string dir) => new()
    {
        OutDir = dir,
        DataDir = TestData.MnistDir,
        Options = new TrainingOptions { Epochs = 3, TrainLimit = 640, BatchSize = 64, Seed = 9, Patience = 5 },
    };

    /// <summary>Cancels the run as soon as the given epoch has ended (and been checkpointed).</summary>
    private sealed class StopAfter(int epoch, CancellationTokenSource cts) : ITrainingObserver
    {
        public void OnEpochEnd(EpochRecord record, bool improved, TrainerState state)
        {
            if (record.Epoch == epoch) cts.Cancel();
        }
    }

    [Fact]
    public async Task Given_a_run_interrupted_after_epoch_1_When_resumed_Then_it_reaches_the_same_state_as_an_uninterrupted_run()
    {
        using var straight = new TempDir();
        using var interrupted = new TempDir();
        var expected = await TrainingRun.RunAsync(Request(straight.Path));

        using (var cts = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TrainingRun.RunAsync(Request(interrupted.Path), new StopAfter(1, cts), ct: cts.Token));
        }
        Assert.Equal(1, ModelFile.Read(interrupted.File(RunFolder.CheckpointFileName)).TrainerState!.EpochsDone);
        var resumed = await TrainingRun.RunAsync(Request(interrupted.Path) with { Resume = true });

        Assert.Equal(expected.Fit.History.Select(h => (h.Epoch, h.Loss, h.ValLoss, h.ValAccuracy)), resumed.Fit.History.Select(h => (h.Epoch, h.Loss, h.ValLoss, h.ValAccuracy)));
        Assert.Equal(ModelFile.Read(straight.File(RunFolder.CheckpointFileName)).Weights, ModelFile.Read(interrupted.File(RunFolder.CheckpointFileName)).Weights);
        Assert.Equal(ModelFile.Read(expected.ModelPath).Weights, ModelFile.Read(resumed.ModelPath).Weights);
        Assert.Equal(expected.Test.Accuracy, resumed.Test.Accuracy);
    }

    /// <summary>Lists the run folder's files at the end of each epoch (after it was persisted).</summary>
    private sealed class FolderAtEpochEnd(string dir) : ITrainingObserver
    {
        public List<string[]> Files { get; } = [];

        public void OnEpochEnd(EpochRecord record, bool improved, TrainerState state) =>
            Files.Add(Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!);
    }

    [Fact]
    public async Task While_a_run_trains_its_folder_holds_only_the_checkpoint_and_the_exports_are_written_at_its_end()
    {
        using var dir = new TempDir();
        var folder = new FolderAtEpochEnd(dir.Path);

        await TrainingRun.RunAsync(Request(dir.Path), folder);

        Assert.Equal(3, folder.Files.Count);
        Assert.All(folder.Files, files => Assert.Equal([RunFolder.CheckpointFileName], files));
        foreach (var file in new[] { RunFolder.ModelFileName, RunFolder.HistoryJsonName, RunFolder.HistoryCsvName, RunFolder.EvaluationName, RunFolder.MistakesName })
        {
            Assert.True(File.Exists(dir.File(file)), file);
        }
    }

    [Fact]
    public async Task Given_val_accuracy_monitored_When_trained_Then_the_model_file_holds_the_epoch_of_the_highest_val_accuracy_and_names_its_monitor()
    {
        using var dir = new TempDir();
        var request = Request(dir.Path) with { Options = Request(dir.Path).Options with { Monitor = TuningObjective.ValAccuracy, Epochs = 4 } };

        var outcome = await TrainingRun.RunAsync(request);

        var history = outcome.Fit.History;
        var best = history.First(h => h.ValAccuracy == history.Max(e => e.ValAccuracy)); // the earliest of the highest
        var manifest = ModelFile.Read(outcome.ModelPath).Manifest;
        Assert.Equal(new BestMetric("val_accuracy", best.ValAccuracy, best.Epoch), manifest.Best);
        Assert.Equal(best.Epoch, manifest.Epoch);
        Assert.Equal(TuningObjective.ValAccuracy, manifest.Training!.Monitor);
    }

    [Fact]
    public async Task Given_no_checkpoint_When_resuming_Then_the_error_says_there_is_nothing_to_resume()
    {
        using var dir = new TempDir();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TrainingRun.RunAsync(Request(dir.Path) with { Resume = true }));

        Assert.Contains("nothing to resume", e.Message);
    }
}
