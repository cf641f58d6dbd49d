using Mnist.Cli.Commands;
using Mnist.Core.Inference;
using Mnist.Web;

namespace Mnist.Cli.Tests.Commands;

public sealed class ServeCommandParsingTests
{
    private static System.CommandLine.ParseResult Parse(string line) =>
        CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Given_only_a_model_When_serve_is_parsed_Then_it_listens_on_loopback_5000_with_the_default_limits()
    {
        var parse = Parse("serve --model runs/seed");
        Assert.Empty(parse.Errors);

        var options = ServeCommand.ToOptions(parse);

        Assert.Equal(("runs/seed", "http://127.0.0.1:5000"), (options.Model, options.Urls));
        Assert.Equal(ServeOptions.DefaultMaxBodyBytes, options.MaxBodyBytes);
        Assert.Equal(ImageLimits.Default.MaxSide, options.ImageLimits.MaxSide);
        Assert.Equal(InferenceEngineKind.Torch, options.Engine);
    }

    [Theory]
    [InlineData("torch", InferenceEngineKind.Torch)]
    [InlineData("onnx", InferenceEngineKind.Onnx)]
    public void Given_an_engine_When_serve_is_parsed_Then_it_reaches_the_options(string engine, InferenceEngineKind expected)
    {
        var parse = Parse($"serve --model runs/seed --engine {engine} --threads 2");
        Assert.Empty(parse.Errors);

        var options = ServeCommand.ToOptions(parse);

        Assert.Equal((expected, 2), (options.Engine, options.InferenceThreads));
    }

    [Fact]
    public void Given_an_unknown_engine_When_serve_is_parsed_Then_it_is_an_error_naming_the_choices()
    {
        var errors = Parse("serve --model runs/seed --engine tensorrt").Errors;

        Assert.Contains(errors, e => e.Message.Contains("tensorrt", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_urls_and_limits_When_serve_is_parsed_Then_each_reaches_the_options()
    {
        var options = ServeCommand.ToOptions(Parse("serve --model m.ckpt --urls http://0.0.0.0:8080 --max-body-bytes 1000 --max-image-side 512"));

        Assert.Equal(("m.ckpt", "http://0.0.0.0:8080", 1000L), (options.Model, options.Urls, options.MaxBodyBytes));
        Assert.Equal((512, 512L * 512), (options.ImageLimits.MaxSide, options.ImageLimits.MaxPixels));
    }

    [Fact]
    public void Given_no_model_When_serve_is_parsed_Then_it_is_an_error()
    {
        Assert.NotEmpty(Parse("serve").Errors);
    }

    [Fact]
    public async Task Given_a_missing_model_file_When_serve_runs_Then_it_fails_with_the_path_and_serves_nothing()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliApp.RunAsync(["serve", "--model", "no/such/model.ckpt", "--urls", "http://127.0.0.1:0"], output, error);

        Assert.Equal(CliApp.Failed, code);
        Assert.Contains("no/such/model.ckpt", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Given_a_port_already_taken_When_serve_runs_Then_it_fails_naming_the_urls_without_a_stack_trace()
    {
        using var dir = new TempDir();
        var model = SeedModelFile.SaveUntrained(dir.File("model.ckpt"), seed: 4);
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var urls = $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var (code, _, error) = await CommandRunTests.Run("serve", "--model", model, "--urls", urls);

        Assert.Equal(CliApp.Failed, code);
        Assert.Contains($"--urls {urls}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
