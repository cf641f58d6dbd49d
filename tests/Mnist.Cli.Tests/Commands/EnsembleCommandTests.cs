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
            foreach (var (name, seed) in new[] { ("a", "1"), ("b", "2") })
            {
                var (code, _, error) = CommandRunTests.Run("train", "--data-dir", TestData.MnistDir, "--out", Dir.File(name), "--epochs", "1", "--train-limit", "1500", "--seed", seed).GetAwaiter().GetResult();
                Assert.True(code == 0, error);
            }
            (Code, Output, Error) = CommandRunTests.Run("ensemble", "--out", Dir.File("e"), "--models", Dir.File("a"), Dir.File("b"), "--data-dir", TestData.MnistDir).GetAwaiter().GetResult();
        }

        public TempDir Dir { get; } = new();
        public int Code { get; }
        public string Output { get; }
        public string Error { get; }
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
