using Mnist.Cli.Commands;
using Mnist.Core.Data;
using Mnist.Core.Model;
using Mnist.Testing;
using Mnist.Core.Training;

namespace Mnist.Cli.Tests.Commands;

public sealed class ExportCommandParsingTests
{
    private static System.CommandLine.ParseResult Parse(string line) =>
        CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Given_a_model_format_and_out_When_export_is_parsed_Then_both_paths_reach_the_request()
    {
        var parse = Parse("export --model runs/seed --format onnx --out model.onnx");
        Assert.Empty(parse.Errors);

        Assert.Equal(("runs/seed", "model.onnx"), ExportCommand.ToRequest(parse));
    }

    [Fact]
    public void Given_no_format_When_export_is_parsed_Then_onnx_is_the_default()
    {
        var parse = Parse("export --model m.ckpt --out m.onnx");

        Assert.Empty(parse.Errors);
        Assert.Equal("onnx", parse.GetValue<string>("--format"));
    }

    [Theory]
    [InlineData("export --model m.ckpt --format keras --out m.h5")]
    [InlineData("export --model m.ckpt")]
    [InlineData("export --out m.onnx")]
    public void Given_an_unknown_format_or_a_missing_option_When_export_is_parsed_Then_it_is_an_error(string line)
    {
        Assert.NotEmpty(Parse(line).Errors);
    }

    [Fact]
    public async Task Given_a_model_file_When_export_runs_Then_it_writes_an_onnx_file_and_says_what_it_holds()
    {
        using var dir = new TempDir();
        SeedModelFile.SaveUntrained(dir.File(RunFolder.ModelFileName), seed: 3);
        var onnx = dir.File("out/model.onnx");

        var (code, output, error) = await CommandRunTests.Run("export", "--model", dir.Path, "--format", "onnx", "--out", onnx);

        Assert.True(code == 0, error);
        Assert.Contains("opset 17", output, StringComparison.Ordinal);
        Assert.Contains("'probabilities'", output, StringComparison.Ordinal);
        var proto = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal("Softmax", proto.Graph.Node[^1].OpType);
    }

    [Fact]
    public async Task Given_a_missing_model_file_When_export_runs_Then_it_fails_with_the_path_and_writes_nothing()
    {
        using var dir = new TempDir();

        var (code, _, error) = await CommandRunTests.Run("export", "--model", dir.File("none.ckpt"), "--out", dir.File("none.onnx"));

        Assert.Equal(CliApp.Failed, code);
        Assert.Contains("none.ckpt", error, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("none.onnx")));
    }
}
