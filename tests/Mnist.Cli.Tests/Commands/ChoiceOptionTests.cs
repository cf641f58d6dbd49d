using System.CommandLine;
using System.CommandLine.Completions;
using Mnist.Cli.Commands;
using Mnist.Core.Inference;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Tuning;

namespace Mnist.Cli.Tests.Commands;

/// <summary>The command line's choices are Core's (<see cref="Choice"/>): the names it offers, reads and rejects.</summary>
public sealed class ChoiceOptionTests
{
    private static ParseResult Parse(string line) => CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static IEnumerable<Option> AllOptions()
    {
        static IEnumerable<Option> Of(Command command) => command.Options.Concat(command.Subcommands.SelectMany(Of));
        return Of(CliApp.BuildRoot(new CliContext(TextWriter.Null, TextWriter.Null)));
    }

    [Fact]
    public void Every_choice_flag_offers_exactly_cores_names_for_it()
    {
        var choices = AllOptions().Where(o => o.GetType().IsGenericType && o.GetType().GetGenericTypeDefinition() == typeof(ChoiceOption<>)).ToList();

        Assert.Equal(["--acquisition", "--device", "--engine", "--ensemble-from", "--format", "--lr-schedule", "--monitor", "--objective", "--oracle", "--preset", "--pruner", "--split"], choices.Select(o => o.Name).Distinct().Order(StringComparer.Ordinal));
        Assert.All(choices, option =>
        {
            var names = (IReadOnlyList<string>)typeof(Choice).GetMethod(nameof(Choice.Names))!.MakeGenericMethod(option.GetType().GetGenericArguments()[0]).Invoke(null, null)!;
            Assert.Equal(names.Order(StringComparer.Ordinal), option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).Order(StringComparer.Ordinal));
        });
    }

    [Theory]
    [InlineData("tune --out o --oracle bayesian")]
    [InlineData("tune --out o --oracle bayes")]
    [InlineData("tune --out o --oracle BAYES")]
    [InlineData("pipeline --out o --oracle bayesian")]
    public void Given_bayes_or_bayesian_When_tune_or_pipeline_is_parsed_Then_the_oracle_is_bayes(string line)
    {
        var parse = Parse(line);
        Assert.Empty(parse.Errors);

        var oracle = line.StartsWith("tune", StringComparison.Ordinal) ? TuneCommand.ToRequest(parse).Oracle : PipelineCommand.ToRequest(parse).Oracle;

        Assert.Equal(OracleKind.Bayes, oracle);
    }

    [Fact]
    public void Given_a_pruner_or_none_When_tune_or_pipeline_is_parsed_Then_tune_defaults_to_none_and_pipeline_to_the_presets()
    {
        Assert.Equal(PrunerKind.None, TuneCommand.ToRequest(Parse("tune --out o")).Pruner);
        Assert.Equal(PrunerKind.Asha, TuneCommand.ToRequest(Parse("tune --out o --pruner asha")).Pruner);
        Assert.Null(PipelineCommand.ToRequest(Parse("pipeline --out o")).Pruner);
        Assert.Equal(PrunerKind.None, PipelineCommand.ToRequest(Parse("pipeline --out o --preset seed --pruner none")).Pruner);
    }

    [Theory]
    [InlineData("cpu", DeviceKind.Cpu)]
    [InlineData("cuda", DeviceKind.Cuda)]
    [InlineData("auto", DeviceKind.Auto)]
    public void Given_a_device_When_tune_or_pipeline_is_parsed_Then_it_reaches_the_request(string name, DeviceKind expected)
    {
        Assert.Equal(expected, TuneCommand.ToRequest(Parse($"tune --out o --device {name}")).Device);
        Assert.Equal(expected, PipelineCommand.ToRequest(Parse($"pipeline --out o --device {name}")).Device);
    }

    [Fact]
    public void Given_a_preset_by_name_When_pipeline_is_parsed_Then_it_is_cores_preset_of_that_kind()
    {
        Assert.Same(PipelinePreset.Seed, PipelineCommand.ToRequest(Parse("pipeline --out o --preset seed")).Preset);
        Assert.Same(PipelinePreset.Quick, PipelineCommand.ToRequest(Parse("pipeline --out o --preset quick")).Preset);
    }

    [Theory]
    [InlineData("tune --out o --oracle grid", "--oracle grid: expected bayes, random or hyperband")]
    [InlineData("tune --out o --pruner hyperband", "--pruner hyperband: expected asha or none")]
    [InlineData("tune --out o --objective accuracy", "--objective accuracy: expected val_accuracy or val_loss")]
    [InlineData("tune --out o --acquisition pi", "--acquisition pi: expected ucb or ei")]
    [InlineData("pipeline --out o --preset huge", "--preset huge: expected seed or quick")]
    [InlineData("pipeline --out o --pruner sha", "--pruner sha: expected asha or none")]
    [InlineData("train --out o --device gpu", "--device gpu: expected cpu, cuda or auto")]
    [InlineData("train --out o --lr-schedule cosine", "--lr-schedule cosine: expected plateau or one_cycle")]
    [InlineData("serve --model m --engine tensorrt", "--engine tensorrt: expected torch or onnx")]
    [InlineData("export --model m --out m.h5 --format keras", "--format keras: expected onnx")]
    public void Given_an_unknown_name_When_parsed_Then_the_error_names_the_flag_the_value_and_the_names_accepted(string line, string error)
    {
        Assert.Contains(error, Parse(line).Errors.Select(e => e.Message));
    }

    [Fact]
    public void Given_the_engine_flag_When_serve_is_parsed_Then_its_default_is_torch_by_name()
    {
        var parse = Parse("serve --model m");

        Assert.Equal("torch", parse.GetValue<string>("--engine"));
        Assert.Equal(InferenceEngineKind.Torch, ServeCommand.ToOptions(parse).Engine);
    }

    [Fact]
    public void Given_a_choice_option_When_read_Then_it_gives_the_named_value_or_its_default_and_names_cores_setting_in_snake_case()
    {
        var withDefault = new ChoiceOption<TuningObjective>("--some-choice", "d", TuningObjective.ValLoss);
        var withoutDefault = new ChoiceOption<TuningObjective>("--other-choice", "d");
        var root = new RootCommand { withDefault, withoutDefault };

        Assert.Equal(("some_choice", "other_choice"), (withDefault.Setting, withoutDefault.Setting));
        Assert.Equal(TuningObjective.ValLoss, withDefault.Read(root.Parse([])));
        Assert.Equal(TuningObjective.ValAccuracy, withDefault.Read(root.Parse(["--some-choice", "VAL_ACCURACY"])));
        Assert.Null(withoutDefault.ReadOrNull(root.Parse([])));
        Assert.Equal(TuningObjective.ValAccuracy, withoutDefault.ReadOrNull(root.Parse(["--other-choice", "val_accuracy"])));
    }
}
