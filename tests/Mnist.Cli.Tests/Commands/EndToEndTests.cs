using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Testing;

namespace Mnist.Cli.Tests.Commands;

/// <summary>train, then evaluate and predict on the model file it wrote, all through the CLI, in-process.</summary>
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class EndToEndTests : IClassFixture<EndToEndTests.TrainedRun>
{
    private readonly TrainedRun _run;

    public EndToEndTests(TrainedRun run) => _run = run;

    public sealed class TrainedRun : IDisposable
    {
        public TrainedRun()
        {
            (Code, Output, Error) = CommandRunTests.Run("train", "--data-dir", TestData.MnistDir, "--out", Dir.File("run"), "--epochs", "1", "--train-limit", "2000").GetAwaiter().GetResult();
        }

        public TempDir Dir { get; } = new();
        public int Code { get; }
        public string Output { get; }
        public string Error { get; }
        public string RunDir => Dir.File("run");

        public void Dispose() => Dir.Dispose();
    }

    [Fact]
    public void Given_a_short_training_command_When_run_Then_it_shows_keras_progress_and_the_test_accuracy()
    {
        Assert.True(_run.Code == 0, _run.Error);
        Assert.Contains("Epoch 1/1", _run.Output);
        Assert.Contains("val_accuracy:", _run.Output);
        Assert.Contains("Test: accuracy", _run.Output);
    }

    [Fact]
    public async Task Given_a_trained_run_When_evaluated_as_json_Then_accuracy_loss_per_class_and_confusion_matrix_are_there()
    {
        var (code, output, error) = await CommandRunTests.Run("evaluate", "--model", _run.RunDir, "--data-dir", TestData.MnistDir, "--json");

        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0.8, 1.0);
        Assert.True(root.GetProperty("loss").GetDouble() > 0);
        Assert.Equal(10, root.GetProperty("per_class").GetArrayLength());
        Assert.Equal(10, root.GetProperty("confusion_matrix").GetArrayLength());
        Assert.Equal(10000, root.GetProperty("confusion_matrix").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(v => v.GetInt32()));
    }

    [Fact]
    public async Task Given_a_trained_run_When_evaluated_as_tables_Then_it_prints_per_class_metrics_and_the_matrix()
    {
        var (code, output, _) = await CommandRunTests.Run("evaluate", "--model", _run.RunDir, "--data-dir", TestData.MnistDir);

        Assert.Equal(0, code);
        Assert.Contains("precision", output);
        Assert.Contains("Confusion matrix", output);
    }

    [Fact]
    public async Task Given_one_image_When_predicted_by_the_cli_and_by_the_web_api_Then_both_print_the_same_prediction_fields()
    {
        using var dir = new TempDir();
        var file = dir.File("digit.png");
        var png = Png.EncodeGrey(TestData.Mnist.Test.Image(0), 28, 28, invert: true);
        File.WriteAllBytes(file, png);
        var (code, output, _) = await CommandRunTests.Run(["predict", "--model", _run.RunDir, "--json", file]);
        Assert.Equal(0, code);
        var cli = JsonDocument.Parse(output.Trim()).RootElement;

        await using var app = Web.WebApp.Build(new Web.ServeOptions { Model = _run.RunDir, Urls = "http://127.0.0.1:0" });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        using var body = new ByteArrayContent(png);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        using var response = await client.PostAsync(new Uri("/api/predict", UriKind.Relative), body);
        var web = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        string[] contract = ["digit", "label", "confidence", "probabilities"];
        Assert.Equal(["file", .. contract], cli.EnumerateObject().Select(p => p.Name));
        Assert.Equal([.. contract, "input"], web.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Number, cli.GetProperty("digit").ValueKind);
        foreach (var field in contract) Assert.Equal(web.GetProperty(field).GetRawText(), cli.GetProperty(field).GetRawText());
    }

    [Fact]
    public async Task Given_images_and_a_bad_file_When_predicted_as_json_Then_one_object_per_file_and_exit_code_1()
    {
        using var dir = new TempDir();
        var files = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            files.Add(dir.File($"{i}.png"));
            File.WriteAllBytes(files[^1], Png.EncodeGrey(TestData.Mnist.Test.Image(i), 28, 28, invert: true));
        }
        files.Add(dir.File("bad.png"));
        File.WriteAllText(files[^1], "nope");

        var (code, output, _) = await CommandRunTests.Run(["predict", "--model", _run.RunDir, "--json", .. files]);

        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, lines.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(files[i], lines[i].GetProperty("file").GetString());
            Assert.Equal(10, lines[i].GetProperty("probabilities").GetArrayLength());
            var digit = lines[i].GetProperty("digit").GetInt32();
            Assert.InRange(digit, 0, 9);
            Assert.Equal(digit.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[i].GetProperty("label").GetString());
            Assert.Equal(lines[i].GetProperty("probabilities")[digit].GetDouble(), lines[i].GetProperty("confidence").GetDouble());
        }
        Assert.Contains("not a decodable image", lines[3].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Given_an_image_When_predicted_as_text_Then_one_line_gives_file_digit_and_confidence()
    {
        using var dir = new TempDir();
        var file = dir.File("digit.png");
        File.WriteAllBytes(file, Png.EncodeGrey(TestData.Mnist.Test.Image(0), 28, 28));

        var (code, output, _) = await CommandRunTests.Run("predict", "--model", _run.RunDir, file);

        Assert.Equal(0, code);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(file)}: [0-9] \\([0-9.]+%\\)", output.Trim());
    }
}
