using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Training;

/// <summary>The run folder's layout and its checkpoint as the single source, without training.</summary>
public sealed class RunFolderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ModelFileContents Checkpoint(int epochsDone, int bestEpoch, byte[] weights, byte[]? best) => new()
    {
        Manifest = SeedModelFile.Manifest() with { Epoch = epochsDone },
        Weights = weights,
        BestWeights = best,
        TrainerState = new TrainerState(epochsDone, 0.1, bestEpoch, epochsDone - bestEpoch, 0, false, 1e-3),
        OptimizerState = [9],
    };

    [Fact]
    public void A_checkpoint_whose_last_epoch_is_not_the_best_keeps_the_best_weights_beside_its_own()
    {
        var folder = new RunFolder(_dir.Path);
        folder.SaveCheckpoint(Checkpoint(5, 3, [1, 2], [3, 4]));

        var read = folder.ReadCheckpoint();

        Assert.Equal([1, 2], read.Weights);
        Assert.Equal([3, 4], folder.BestWeightsOf(read));
    }

    [Fact]
    public void A_checkpoint_whose_last_epoch_is_the_best_writes_its_weights_once_and_they_are_the_best()
    {
        var folder = new RunFolder(_dir.Path);
        byte[] weights = [1, 2];
        folder.SaveCheckpoint(Checkpoint(4, 4, weights, weights));

        var read = folder.ReadCheckpoint();

        Assert.Null(read.BestWeights);
        Assert.Equal([1, 2], folder.BestWeightsOf(read));
    }

    [Fact]
    public void A_checkpoint_from_before_checkpoints_kept_the_best_weights_takes_them_from_the_model_file()
    {
        var folder = new RunFolder(_dir.Path);
        folder.SaveCheckpoint(Checkpoint(5, 3, [1, 2], null));
        ModelFile.Save(folder.ModelPath, new ModelFileContents { Manifest = SeedModelFile.Manifest() with { Epoch = 3 }, Weights = [7, 8] });

        Assert.Equal([7, 8], folder.BestWeightsOf(folder.ReadCheckpoint()));
    }

    [Fact]
    public void A_run_folder_that_has_not_finished_names_its_model_file_as_not_written_yet()
    {
        new RunFolder(_dir.Path).SaveCheckpoint(Checkpoint(1, 1, [1], null));

        var e = Assert.Throws<FileNotFoundException>(() => RunFolder.ModelPathOf(_dir.Path));

        Assert.Contains("has not finished", e.Message, StringComparison.Ordinal);
        Assert.Contains(RunFolder.CheckpointFileName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_folder_names_its_model_file_and_a_file_path_is_taken_as_it_is()
    {
        var file = _dir.File("other.ckpt");

        Assert.Equal(Path.Combine(_dir.Path, RunFolder.ModelFileName), RunFolder.ModelPathOf(_dir.Path));
        Assert.Equal(file, RunFolder.ModelPathOf(file));
    }

    [Fact]
    public void An_unfinished_run_is_read_from_its_checkpoint_and_a_finished_one_from_its_model_file()
    {
        var folder = new RunFolder(_dir.Path);
        folder.SaveCheckpoint(Checkpoint(2, 2, [1], null));
        Assert.Equal(2, folder.ReadLatest().Manifest.Epoch);

        ModelFile.Save(folder.ModelPath, new ModelFileContents
        {
            Manifest = SeedModelFile.Manifest() with { Epoch = 1 },
            Weights = [1],
            Evaluation = Core.Evaluation.EvaluationResult.FromPredictions(new byte[] { 0, 1 }, [0, 1], 0.1, ["a", "b"]),
        });
        Assert.Equal(1, folder.ReadLatest().Manifest.Epoch);
    }
}
