using Mnist.Cli.Commands;
using Mnist.Core.Jobs;
using Mnist.Core.Tuning;

namespace Mnist.Cli.Tests.Commands;

public sealed class TuneCommandParsingTests
{
    private static System.CommandLine.ParseResult Parse(string line)
    {
        var parse = CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(parse.Errors);
        return parse;
    }

    [Fact]
    public void Given_only_out_When_tune_is_parsed_Then_the_defaults_are_the_seed_search()
    {
        var r = TuneCommand.ToRequest(Parse("tune --out studies"));

        Assert.Equal(("studies", "study", 30, OracleKind.Bayes, 5), (r.OutDir, r.Study, r.Trials, r.Oracle, r.InitialPoints));
        Assert.Equal((AcquisitionKind.Ucb, TuningObjective.ValAccuracy), (r.Acquisition, r.Objective));
        Assert.Equal((10, 1.0, 5), (r.TrialOptions.Epochs, r.TrialOptions.DataFraction, r.TrialOptions.Patience));
        Assert.Equal(System.IO.Path.Combine("studies", "study.db"), r.StudyPath);
    }

    [Fact]
    public void Given_every_tune_option_When_parsed_Then_each_reaches_the_request()
    {
        var r = TuneCommand.ToRequest(Parse("tune --data-dir d --out o --study s1 --trials 12 --oracle random --initial 2 --acquisition ei --objective val_loss --max-epochs 4 --data-fraction 0.25 --seed 9 --threads 1"));

        Assert.Equal(("d", "s1", 12, OracleKind.Random, 2), (r.DataDir, r.Study, r.Trials, r.Oracle, r.InitialPoints));
        Assert.Equal((AcquisitionKind.Ei, TuningObjective.ValLoss), (r.Acquisition, r.Objective));
        Assert.Equal((4, 0.25, 9), (r.TrialOptions.Epochs, r.TrialOptions.DataFraction, r.TrialOptions.Seed));
        Assert.Equal(1, r.Threads);
    }

    [Fact]
    public void Given_monitor_val_loss_When_tune_is_parsed_Then_the_trials_early_stopping_watches_val_loss_and_by_default_val_accuracy()
    {
        Assert.Equal(TuningObjective.ValLoss, TuneCommand.ToRequest(Parse("tune --out o --monitor val_loss")).TrialOptions.Monitor);
        Assert.Equal(TuningObjective.ValAccuracy, TuneCommand.ToRequest(Parse("tune --out o")).TrialOptions.Monitor);
    }

    [Fact]
    public void Given_objective_val_loss_and_no_monitor_When_tune_is_parsed_Then_the_trials_early_stopping_watches_the_objective()
    {
        Assert.Equal(TuningObjective.ValLoss, TuneCommand.ToRequest(Parse("tune --out o --objective val_loss")).TrialOptions.Monitor);
    }

    [Fact]
    public void Given_objective_val_loss_and_monitor_val_accuracy_When_tune_is_parsed_Then_the_monitor_is_the_one_given()
    {
        Assert.Equal(TuningObjective.ValAccuracy, TuneCommand.ToRequest(Parse("tune --out o --objective val_loss --monitor val_accuracy")).TrialOptions.Monitor);
    }

    [Fact]
    public void Given_monitor_val_loss_When_pipeline_is_parsed_Then_the_request_carries_it_and_by_default_val_accuracy()
    {
        Assert.Equal(TuningObjective.ValLoss, PipelineCommand.ToRequest(Parse("pipeline --out o --monitor val_loss")).Monitor);
        Assert.Equal(TuningObjective.ValAccuracy, PipelineCommand.ToRequest(Parse("pipeline --out o")).Monitor);
    }

    [Fact]
    public void Given_a_preset_When_pipeline_is_parsed_Then_its_budget_is_chosen()
    {
        Assert.Equal(PipelinePreset.Quick, PipelineCommand.ToRequest(Parse("pipeline --out o")).Preset);
        var seed = PipelineCommand.ToRequest(Parse("pipeline --out o --preset seed --compare-seed --train-limit 3000"));
        Assert.Equal((30, 100, true), (seed.Preset.Trials, seed.Preset.FinalEpochs, seed.Preset.EnqueueDefaults));
        Assert.True(seed.CompareWithSeed);
        Assert.Equal(3000, seed.TrainLimit);
    }

    [Fact]
    public void Given_enqueued_configuration_files_When_tune_or_pipeline_is_parsed_Then_they_are_read_in_order()
    {
        var dir = Directory.CreateTempSubdirectory("mnist-enqueue-");
        try
        {
            var a = Path.Combine(dir.FullName, "a.json");
            var b = Path.Combine(dir.FullName, "b.json");
            File.WriteAllText(a, "{}");
            File.WriteAllText(b, """{"conv1_filters": 64, "learning_rate": 0.002}""");

            var tune = TuneCommand.ToRequest(Parse($"tune --out o --enqueue {a} --enqueue {b}"));
            var pipeline = PipelineCommand.ToRequest(Parse($"pipeline --out o --enqueue {b}"));

            Assert.Equal([0, 2], tune.Enqueue.Select(c => c.Count));
            Assert.Equal(0.002, tune.Enqueue[1]["learning_rate"]);
            Assert.Equal(64, pipeline.Enqueue.Single()["conv1_filters"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Given_fixed_hyperparameters_When_tune_or_pipeline_is_parsed_Then_each_name_reaches_the_request_with_its_value()
    {
        var tune = TuneCommand.ToRequest(Parse("tune --out o --fix conv_layers_per_block=1 --fix learning_rate=0.002"));
        var pipeline = PipelineCommand.ToRequest(Parse("pipeline --out o --fix conv_layers_per_block=2"));

        Assert.Equal(new Dictionary<string, double> { ["conv_layers_per_block"] = 1, ["learning_rate"] = 0.002 }, tune.Fixed);
        Assert.Equal(new Dictionary<string, double> { ["conv_layers_per_block"] = 2 }, pipeline.Fixed);
        Assert.Empty(TuneCommand.ToRequest(Parse("tune --out o")).Fixed);
    }

    [Theory]
    [InlineData("conv_layers_per_block", "expected NAME=VALUE")]
    [InlineData("conv_layers_per_block=one", "the value of conv_layers_per_block must be a number")]
    [InlineData("=1", "expected NAME=VALUE")]
    public void Given_a_malformed_fix_When_tune_is_parsed_Then_the_error_quotes_it_and_says_what_is_expected(string fix, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => TuneCommand.ToRequest(Parse($"tune --out o --fix {fix}")));

        Assert.Contains($"--fix {fix}: {expected}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_multiply_adds_budget_When_tune_or_pipeline_is_parsed_Then_it_reaches_the_request_as_a_whole_number()
    {
        Assert.Equal(25_000_000, TuneCommand.ToRequest(Parse("tune --out o --max-mult-adds 2.5e7")).MaxMultAdds);
        Assert.Equal(20_000_000, PipelineCommand.ToRequest(Parse("pipeline --out o --max-mult-adds 20000000")).Preset.MaxMultAdds);
        Assert.Null(TuneCommand.ToRequest(Parse("tune --out o")).MaxMultAdds);
        Assert.Null(TuneCommand.ToRequest(Parse("tune --out o --max-mult-adds none")).MaxMultAdds);
    }

    [Fact]
    public void Given_the_seed_preset_When_pipeline_is_parsed_Then_its_search_keeps_to_25_million_multiply_adds_unless_told_otherwise()
    {
        Assert.Equal(25_000_000, PipelineCommand.ToRequest(Parse("pipeline --out o --preset seed")).Preset.MaxMultAdds);
        Assert.Null(PipelineCommand.ToRequest(Parse("pipeline --out o --preset seed --max-mult-adds none")).Preset.MaxMultAdds);
        Assert.Equal(5_000_000, PipelineCommand.ToRequest(Parse("pipeline --out o --preset seed --max-mult-adds 5e6")).Preset.MaxMultAdds);
        Assert.Null(PipelineCommand.ToRequest(Parse("pipeline --out o --preset quick")).Preset.MaxMultAdds);
    }

    [Fact]
    public void Given_a_multiply_adds_budget_below_one_When_tune_is_parsed_Then_the_error_names_the_flag()
    {
        var e = Assert.Throws<ArgumentException>(() => TuneCommand.ToRequest(Parse("tune --out o --max-mult-adds 0")));

        Assert.Contains("--max-mult-adds 0: must be a number of at least 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_one_hyperparameter_fixed_twice_When_tune_is_parsed_Then_the_error_names_it()
    {
        var e = Assert.Throws<ArgumentException>(() => TuneCommand.ToRequest(Parse("tune --out o --fix conv_layers_per_block=1 --fix conv_layers_per_block=2")));

        Assert.Contains("conv_layers_per_block is fixed twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_missing_enqueued_file_When_tune_is_parsed_Then_the_error_names_the_file()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TuneCommand.ToRequest(Parse("tune --out o --enqueue /nonexistent/seed.json")));

        Assert.Contains("/nonexistent/seed.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_hyperband_When_pipeline_is_parsed_Then_its_factor_and_iterations_reach_the_request()
    {
        var request = PipelineCommand.ToRequest(Parse("pipeline --out o --oracle hyperband --factor 2 --hyperband-iterations 3"));

        Assert.Equal((OracleKind.Hyperband, 2, 3), (request.Oracle, request.Factor, request.HyperbandIterations));
        Assert.Equal((3, 1), (PipelineCommand.ToRequest(Parse("pipeline --out o")).Factor, PipelineCommand.ToRequest(Parse("pipeline --out o")).HyperbandIterations));
    }

    [Fact]
    public void Given_a_dataset_When_train_tune_or_pipeline_is_parsed_Then_every_run_uses_it()
    {
        Assert.Equal("fashion-mnist", TrainCommand.ToRequest(Parse("train --out o --dataset fashion-mnist")).Options.Dataset);
        Assert.Equal("fashion-mnist", TuneCommand.ToRequest(Parse("tune --out o --dataset fashion-mnist")).TrialOptions.Dataset);
        Assert.Equal("fashion-mnist", PipelineCommand.ToRequest(Parse("pipeline --out o --dataset fashion-mnist")).Dataset);
        Assert.Equal("mnist", TrainCommand.ToRequest(Parse("train --out o")).Options.Dataset);
    }

    [Theory]
    [InlineData("train --out o --dataset cifar10")]
    [InlineData("tune --out o --oracle grid")]
    [InlineData("tune --out o --acquisition pi")]
    [InlineData("pipeline --out o --preset huge")]
    [InlineData("study show")]
    public void Given_a_bad_tuning_command_line_When_parsed_Then_it_is_a_parse_error(string line)
    {
        Assert.NotEmpty(CliApp.Parse(line.Split(' ')).Errors);
    }

    [Fact]
    public async Task Given_a_missing_study_When_shown_Then_the_error_names_it()
    {
        var (code, _, error) = await CommandRunTests.Run("study", "show", "/nonexistent/dir/s1");

        Assert.Equal(1, code);
        Assert.Contains("s1.db", error);
    }
}
