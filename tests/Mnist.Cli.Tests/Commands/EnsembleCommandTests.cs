using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Testing;

namespace Mnist.Cli.Tests.Commands;

/// <summary>Two short trainings combined by <c>mnist ensemble</c>, then used as a single model is: evaluate (with and without TTA), predict, export, serve.</summary>
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class EnsembleCommandTests : IClassFixture<EnsembleCommandTests.Ensemble>
{
    private readonly Ensemble _e;

    public EnsembleCommandTests(Ensemble e) => _e = e;

    public sealed class Ensemble : IDisposable
    {
        public Ensemble()
        {
            foreach (var (name, seed, splitSeed) in new[] { ("a", "1", "1"), ("b", "2", "2"), ("c", "3", "1") })
            {
                var (code, _, error) = CommandRunTests.Run("train", "--data-dir", TestData.MnistDir, "--out", Dir.File(name), "--epochs", "1", "--train-limit", "1500", "--seed", seed, "--split-seed", splitSeed).GetAwaiter().GetResult();
                Assert.True(code == 0, error);
            }
            (Code, Output, Error) = CommandRunTests.Run("ensemble", "--out", Dir.File("e"), "--models", Dir.File("a"), Dir.File("b"), "--data-dir", TestData.MnistDir).GetAwaiter().GetResult();
            (SharedCode, SharedOutput, SharedError) = CommandRunTests.Run("ensemble", "--out", Dir.File("ac"), "--models", Dir.File("a"), Dir.File("c"), "--data-dir", TestData.MnistDir, "--json").GetAwaiter().GetResult();
        }

        public TempDir Dir { get; } = new();
        public int Code { get; }
        public string Output { get; }
        public string Error { get; }

        /// <summary>What <c>mnist ensemble --json</c> answered for a and c, two runs of one split seed.</summary>
        public int SharedCode { get; }
        public string SharedOutput { get; }
        public string SharedError { get; }
        public string Path => Dir.File("e");

        public void Dispose() => Dir.Dispose();
    }

    private static async Task<JsonElement> Evaluate(string model, params string[] more)
    {
        var (code, output, error) = await CommandRunTests.Run(["evaluate", "--model", model, "--data-dir", TestData.MnistDir, "--json", .. more]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public void Combining_two_runs_prints_each_members_accuracy_and_the_ensembles_and_writes_its_folder()
    {
        Assert.True(_e.Code == 0, _e.Error);
        Assert.Contains("member 0:", _e.Output, StringComparison.Ordinal);
        Assert.Contains("member 1:", _e.Output, StringComparison.Ordinal);
        Assert.Contains("ensemble of 2: test accuracy", _e.Output, StringComparison.Ordinal);
        foreach (var file in new[] { "model.ckpt", "evaluation.json", "mistakes.json", "confusion.svg" }) Assert.True(File.Exists(System.IO.Path.Combine(_e.Path, file)), file);
    }

    [Fact]
    public void Members_that_held_out_different_images_give_no_validation_accuracy_and_the_output_says_why()
    {
        Assert.True(_e.Code == 0, _e.Error);
        Assert.Contains("no validation accuracy: the ensemble's members hold out different validation images", _e.Output, StringComparison.Ordinal);
        Assert.Contains("--split-seed", _e.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Members_of_one_split_seed_give_the_ensembles_accuracy_on_the_images_none_of_them_trained_on()
    {
        Assert.True(_e.SharedCode == 0, _e.SharedError);
        var outcome = JsonDocument.Parse(_e.SharedOutput).RootElement;

        var validation = outcome.GetProperty("validation");
        var heldOut = Core.Training.TrainingData.Split(TestData.Mnist.Train, new Core.Training.TrainingOptions { TrainLimit = 1500, Seed = 1 }).Validation;
        Assert.Equal(heldOut.Count, validation.GetProperty("count").GetInt32()); // the tenth of the 1,500 images that a (seed 1) and c (split seed 1) held out
        Assert.InRange(validation.GetProperty("accuracy").GetDouble(), 0.0, 1.0);
        Assert.False(outcome.TryGetProperty("no_validation", out _));
        Assert.Equal([1, 1], outcome.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("training").GetProperty("split_seed").GetInt32()));
    }

    [Fact]
    public async Task The_ensemble_evaluates_as_a_model_and_tta_0_is_the_plain_evaluation()
    {
        var plain = await Evaluate(_e.Path);
        var zero = await Evaluate(_e.Path, "--tta", "0");
        var four = await Evaluate(_e.Path, "--tta", "4");

        Assert.Equal(plain.GetProperty("accuracy").GetDouble(), zero.GetProperty("accuracy").GetDouble());
        Assert.Equal(plain.GetProperty("loss").GetDouble(), zero.GetProperty("loss").GetDouble());
        Assert.InRange(four.GetProperty("accuracy").GetDouble(), 0.2, 1.0); // two one-epoch models on 1,500 images: weak, and fragile under the variants
        Assert.NotEqual(plain.GetProperty("loss").GetDouble(), four.GetProperty("loss").GetDouble());
    }

    [Fact]
    public async Task Evaluated_on_the_validation_split_the_ensemble_of_one_split_reads_the_images_its_members_held_out_as_ensemble_reported()
    {
        Assert.True(_e.SharedCode == 0, _e.SharedError);
        var reported = JsonDocument.Parse(_e.SharedOutput).RootElement.GetProperty("validation");

        var evaluated = await Evaluate(_e.Dir.File("ac"), "--split", "validation");

        Assert.Equal("validation", evaluated.GetProperty("split").GetString());
        Assert.Equal(reported.GetProperty("count").GetInt32(), evaluated.GetProperty("count").GetInt32());
        Assert.Equal(reported.GetProperty("accuracy").GetDouble(), evaluated.GetProperty("accuracy").GetDouble());
        Assert.Contains("that a run with split seed 1 holds out", evaluated.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal(TestData.Mnist.Test.Count, (await Evaluate(_e.Dir.File("ac"))).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Evaluating_an_ensemble_of_different_splits_on_validation_is_refused_naming_the_file_and_the_flag()
    {
        var (code, _, error) = await CommandRunTests.Run("evaluate", "--model", _e.Path, "--data-dir", TestData.MnistDir, "--split", "validation");

        Assert.NotEqual(0, code);
        Assert.Contains(System.IO.Path.Combine(_e.Path, "model.ckpt"), error, StringComparison.Ordinal);
        Assert.Contains("--split-seed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_and_export_take_the_ensemble_as_they_take_a_model()
    {
        var png = _e.Dir.File("digit.png");
        File.WriteAllBytes(png, Png.EncodeGrey(TestData.Mnist.Test.Image(0), 28, 28));

        var (code, output, error) = await CommandRunTests.Run("predict", "--model", _e.Path, "--tta", "2", "--json", png);
        Assert.True(code == 0, error);
        Assert.Equal(7, JsonDocument.Parse(output.Trim()).RootElement.GetProperty("digit").GetInt32());

        var (exportCode, _, exportError) = await CommandRunTests.Run("export", "--model", _e.Path, "--format", "onnx", "--out", _e.Dir.File("e.onnx"));
        Assert.True(exportCode == 0, exportError);
        Assert.True(new FileInfo(_e.Dir.File("e.onnx")).Length > 0);
    }

    [Fact]
    public async Task The_served_model_card_lists_the_members_and_the_test_time_variants()
    {
        await using var app = Web.WebApp.Build(new Web.ServeOptions { Model = _e.Path, Urls = "http://127.0.0.1:0", TestTimeVariants = 3 });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        var card = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/model", UriKind.Relative))).RootElement;

        Assert.Equal(2, card.GetProperty("members").GetArrayLength());
        Assert.Equal(3, card.GetProperty("test_time_variants").GetInt32());
        Assert.Equal(card.GetProperty("members").EnumerateArray().Sum(m => m.GetProperty("total_params").GetInt64()), card.GetProperty("total_params").GetInt64());
    }

    [Fact]
    public async Task An_ensemble_of_one_run_is_refused_naming_the_flag()
    {
        var (code, _, error) = await CommandRunTests.Run("ensemble", "--out", _e.Dir.File("one"), "--models", _e.Dir.File("a"));

        Assert.NotEqual(0, code);
        Assert.Contains("--models", error, StringComparison.Ordinal);
        Assert.Contains("at least 2", error, StringComparison.Ordinal);
    }
}
