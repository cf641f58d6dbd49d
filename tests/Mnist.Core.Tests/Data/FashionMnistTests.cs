using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Data;

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class FashionMnistTests
{
    [Fact]
    public void Given_the_Debian_package_When_Fashion_MNIST_is_loaded_Then_sizes_and_payload_checksums_hold()
    {
        var data = Dataset.Load(TestData.FashionMnistDir, DatasetInfo.FashionMnist);

        Assert.Equal((60_000, 10_000), (data.Train.Count, data.Test.Count));
        Assert.Equal(DatasetInfo.FashionMnist.TestImages.PayloadMd5, data.Checksums[DatasetInfo.FashionMnist.TestImages.Name]);
        Assert.Equal(Enumerable.Repeat(6_000, 10), data.Train.Labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()));
    }

    [Fact]
    public async Task Given_fashion_mnist_When_a_small_run_trains_Then_the_model_file_and_evaluation_carry_the_clothing_class_names()
    {
        using var dir = new TempDir();

        var outcome = await TrainingRun.RunAsync(new TrainRequest
        {
            OutDir = dir.Path,
            DataDir = TestData.FashionMnistDir,
            Options = new TrainingOptions { Dataset = "fashion-mnist", Epochs = 1, TrainLimit = 4_000 },
        });

        var manifest = ModelFile.Read(outcome.ModelPath).Manifest;
        Assert.Equal("fashion-mnist", manifest.Dataset);
        Assert.Equal(DatasetInfo.FashionMnist.ClassNames, manifest.ClassNames);
        Assert.Equal("Ankle boot", outcome.Test.PerClass[9].Class);
        Assert.True(outcome.Test.Accuracy > 0.6, $"accuracy {outcome.Test.Accuracy}");
    }
}
