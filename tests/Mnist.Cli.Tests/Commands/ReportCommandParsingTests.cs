using Mnist.Cli.Commands;
using Mnist.Core.Infrastructure;
using Mnist.Testing;

namespace Mnist.Cli.Tests.Commands;

public sealed class ReportCommandParsingTests
{
    private static System.CommandLine.ParseResult Parse(string line)
    {
        var parse = CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(parse.Errors);
        return parse;
    }

    [Fact]
    public void Given_a_run_folder_When_report_is_parsed_Then_the_request_names_it_with_the_defaults()
    {
        var r = ReportCommand.ToRequest(Parse("report --run runs/small"));

        Assert.Equal(("runs/small", null, null, DeviceKind.Cpu), (r.Dir, r.DataDir, r.Threads, r.Device));
    }

    [Fact]
    public void Given_model_as_other_commands_name_a_run_When_report_is_parsed_Then_it_is_the_same_option()
    {
        var r = ReportCommand.ToRequest(Parse("report --model runs/small --data-dir d --threads 1"));

        Assert.Equal(("runs/small", "d", 1), (r.Dir, r.DataDir, r.Threads));
    }

    [Theory]
    [InlineData("report")]
    [InlineData("report --run")]
    [InlineData("report --run a --device tpu")]
    public void Given_a_bad_report_command_line_When_parsed_Then_it_is_a_parse_error(string line)
    {
        Assert.NotEmpty(CliApp.Parse(line.Split(' ')).Errors);
    }

    [Fact]
    public void Given_tensorboard_When_train_tune_and_pipeline_are_parsed_Then_each_request_carries_the_folder()
    {
        Assert.Equal("tb/run", TrainCommand.ToRequest(Parse("train --out o --tensorboard tb/run")).TensorBoardDir);
        Assert.Equal("tb/study", TuneCommand.ToRequest(Parse("tune --out o --tensorboard tb/study")).TensorBoardDir);
        Assert.Equal("tb/pipe", PipelineCommand.ToRequest(Parse("pipeline --out o --tensorboard tb/pipe")).TensorBoardDir);
    }

    [Fact]
    public void Given_no_tensorboard_When_parsed_Then_no_events_are_written()
    {
        Assert.Null(TrainCommand.ToRequest(Parse("train --out o")).TensorBoardDir);
        Assert.Null(TuneCommand.ToRequest(Parse("tune --out o")).TensorBoardDir);
        Assert.Null(PipelineCommand.ToRequest(Parse("pipeline --out o")).TensorBoardDir);
    }

    [Fact]
    public async Task Given_a_folder_with_nothing_to_report_When_run_Then_it_fails_naming_the_folder()
    {
        using var dir = new TempDir();

        var (code, _, error) = await CommandRunTests.Run("report", "--run", dir.Path);

        Assert.Equal(CliApp.Failed, code);
        Assert.Contains(dir.Path, error, StringComparison.Ordinal);
        Assert.Contains("nothing to report", error, StringComparison.Ordinal);
    }
}
