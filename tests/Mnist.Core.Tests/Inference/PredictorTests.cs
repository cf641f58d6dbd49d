using Mnist.Core.Inference;
using Mnist.Core.Tests.Support;
using Mnist.Testing;

namespace Mnist.Core.Tests.Inference;

[Collection(TrainedModelCollection.Name)]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class PredictorTests(TrainedModelFixture trained) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Given_mnist_test_images_written_as_png_When_predicted_from_the_files_Then_they_agree_with_the_in_memory_predictions()
    {
        using var predictor = Predictor.Load(trained.ModelPath);
        var test = TestData.Mnist.Test.Take(300);
        var files = new List<string>();
        var inMemory = new List<float[]>();
        for (var i = 0; i < test.Count; i++)
        {
            var file = _dir.File($"{i:D4}.png");
            File.WriteAllBytes(file, Png.EncodeGrey(test.Image(i), 28, 28, invert: i % 2 == 1));
            files.Add(file);
            inMemory.Add(test.Image(i).ToArray().Select(b => b / 255f).ToArray());
        }

        var fromFiles = FilePredictions.Run(predictor, files).ToList();
        var direct = predictor.Predict(inMemory);

        Assert.All(fromFiles, f => Assert.True(f.Succeeded, f.Error));
        var agreement = fromFiles.Zip(direct).Count(p => p.First.Prediction!.Index == p.Second.Index) / (double)test.Count;
        Assert.True(agreement >= 0.98, $"agreement {agreement:P1}");
    }

    [Fact]
    public void Given_a_batch_with_an_empty_and_an_unreadable_file_When_predicted_Then_each_gets_its_own_error_and_the_rest_succeed()
    {
        using var predictor = Predictor.Load(trained.ModelPath);
        var good = _dir.File("good.png");
        File.WriteAllBytes(good, Png.EncodeGrey(TestData.Mnist.Test.Image(0), 28, 28));
        var blank = _dir.File("blank.png");
        File.WriteAllBytes(blank, Png.EncodeGrey(new byte[784], 28, 28));
        var garbage = _dir.File("garbage.jpg");
        File.WriteAllText(garbage, "not an image");

        var results = FilePredictions.Run(predictor, [blank, garbage, _dir.File("missing.png"), good]).ToList();

        Assert.Contains("no ink", results[0].Error);
        Assert.Contains("not a decodable image", results[1].Error);
        Assert.Contains("not found", results[2].Error);
        Assert.True(results[3].Succeeded);
        Assert.Equal(10, results[3].Prediction!.Probabilities.Length);
        Assert.Equal(1.0, results[3].Prediction!.Probabilities.Sum(), 3);
    }

    [Fact]
    public void Given_a_model_file_When_loaded_twice_Then_predictions_are_identical()
    {
        using var a = Predictor.Load(trained.ModelPath);
        using var b = Predictor.Load(trained.Dir.Path);
        var input = TestData.Mnist.Test.Image(7).ToArray().Select(v => v / 255f).ToArray();

        Assert.Equal(a.Predict(input).Probabilities, b.Predict(input).Probabilities);
    }

    [Fact]
    public void Given_concurrent_callers_When_predicting_Then_every_result_matches_the_sequential_one()
    {
        using var predictor = Predictor.Load(trained.ModelPath);
        var inputs = Enumerable.Range(0, 64).Select(i => TestData.Mnist.Test.Image(i).ToArray().Select(v => v / 255f).ToArray()).ToList();
        var sequential = inputs.Select(predictor.Predict).ToList();

        var parallel = new Prediction[inputs.Count];
        Parallel.For(0, inputs.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = predictor.Predict(inputs[i]));

        for (var i = 0; i < inputs.Count; i++) Assert.Equal(sequential[i].Probabilities, parallel[i].Probabilities);
    }
}
