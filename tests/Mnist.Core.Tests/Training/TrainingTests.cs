using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Model;
using Mnist.Core.Tests.Support;
using Mnist.Testing;
using Mnist.Core.Training;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Training;

[Collection(TrainedModelCollection.Name)]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class TrainingTests(TrainedModelFixture trained)
{
    [Fact]
    public void Given_a_5000_image_slice_When_trained_one_epoch_Then_it_beats_90_percent_on_1000_test_images()
    {
        var (model, contents) = ModelFile.LoadModel(trained.ModelPath);
        using (model)
        {
            var result = Evaluator.Evaluate(model, TestData.Mnist.Test.Take(1000), contents.Manifest.Normalization, contents.Manifest.ClassNames, CPU);

            Assert.True(result.Accuracy > 0.90, $"accuracy {result.Accuracy:P2}");
        }
    }

    [Fact]
    public void Given_a_finished_run_When_its_folder_is_read_Then_it_holds_model_checkpoint_history_and_evaluation()
    {
        foreach (var file in new[] { RunFolder.ModelFileName, RunFolder.CheckpointFileName, RunFolder.HistoryJsonName, RunFolder.HistoryCsvName, RunFolder.EvaluationName })
        {
            Assert.True(File.Exists(Path.Combine(trained.Dir.Path, file)), file);
        }
        Assert.Equal(2, File.ReadAllLines(Path.Combine(trained.Dir.Path, RunFolder.HistoryCsvName)).Length);
    }

    [Fact]
    public void Given_a_finished_run_When_the_model_file_is_read_Then_it_describes_itself()
    {
        var m = ModelFile.Read(trained.ModelPath).Manifest;

        Assert.Equal("mnist", m.Dataset);
        Assert.Equal(ModelConfig.Seed, m.Hyperparameters);
        Assert.Equal(Normalization.UnitRange, m.Normalization);
        Assert.Equal(1, m.Epoch);
        Assert.Equal("val_accuracy", m.Best!.Monitor);
        Assert.Equal(825_162, m.TotalParams);
        Assert.Equal(5000, m.Training!.TrainLimit);
        Assert.Equal(DatasetInfo.Mnist.TrainImages.PayloadMd5, m.DataChecksums[DatasetInfo.Mnist.TrainImages.Name]);
        Assert.NotNull(ModelFile.Read(trained.ModelPath).Evaluation);
    }

    [Fact]
    public async Task Given_a_run_folder_with_a_checkpoint_When_training_again_without_resume_Then_it_refuses_and_keeps_the_files()
    {
        var before = File.ReadAllBytes(trained.ModelPath);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TrainingRun.RunAsync(new TrainRequest { OutDir = trained.Dir.Path, DataDir = TestData.MnistDir }));

        Assert.Contains("resume it", e.Message);
        Assert.Equal(before, File.ReadAllBytes(trained.ModelPath));
    }
}
