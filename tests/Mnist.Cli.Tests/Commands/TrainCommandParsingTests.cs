using Mnist.Cli.Commands;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Testing;

namespace Mnist.Cli.Tests.Commands;

public sealed class TrainCommandParsingTests
{
    private static Core.Training.TrainRequest Parse(string line)
    {
        var parse = CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(parse.Errors);
        return TrainCommand.ToRequest(parse);
    }

    [Fact]
    public void Given_only_an_output_folder_When_parsed_Then_the_request_is_the_seed_job()
    {
        var r = Parse("train --out runs/a");

        Assert.Equal("runs/a", r.OutDir);
        Assert.Null(r.DataDir);
        Assert.Equal(ModelConfig.Seed, r.Config);
        Assert.Equal((100, 32, 5, 0.1, 42), (r.Options.Epochs, r.Options.BatchSize, r.Options.Patience, r.Options.ValidationFraction, r.Options.Seed));
        Assert.Equal(AugmentationOptions.Seed, r.Options.Augmentation);
        Assert.False(r.Resume);
        Assert.Equal(DeviceKind.Cpu, r.Device);
        Assert.Null(r.Threads);
        Assert.Null(r.Options.TrainLimit);
    }

    [Fact]
    public void Given_a_split_seed_When_parsed_Then_it_decides_the_split_alone_and_without_it_the_seed_does()
    {
        var r = Parse("train --out o --seed 43 --split-seed 42");

        Assert.Equal((43, 42, 42), (r.Options.Seed, r.Options.SplitSeed, r.Options.ValidationSeed));
        Assert.Null(Parse("train --out o --seed 43").Options.SplitSeed);
    }

    [Fact]
    public void Given_every_training_option_When_parsed_Then_each_reaches_the_request()
    {
        var r = Parse("train --data-dir d --out o --epochs 3 --batch-size 64 --patience 2 --validation-split 0.2 --seed 7 " +
                      "--train-limit 5000 --standardize --learning-rate 0.002 --reduce-lr-patience 3 --label-smoothing 0.1 --threads 2 --device auto");

        Assert.Equal("d", r.DataDir);
        Assert.Equal((3, 64, 2, 0.2, 7, 5000), (r.Options.Epochs, r.Options.BatchSize, r.Options.Patience, r.Options.ValidationFraction, r.Options.Seed, r.Options.TrainLimit));
        Assert.True(r.Options.Standardize);
        Assert.Equal(0.002, r.Config.LearningRate);
        Assert.Equal(3, r.Options.ReduceLrPatience);
        Assert.Equal(0.1, r.Options.LabelSmoothing);
        Assert.Equal((2, DeviceKind.Auto), (r.Threads, r.Device));
    }

    [Fact]
    public void Given_no_schedule_When_parsed_Then_the_rate_is_reduced_on_plateaus()
    {
        Assert.Equal(Core.Training.LrSchedule.Plateau, Parse("train --out o").Options.LrSchedule);
    }

    [Fact]
    public void Given_a_one_cycle_schedule_When_parsed_Then_the_rate_follows_one_cycle_over_the_budget()
    {
        var r = Parse("train --out o --lr-schedule one_cycle --epochs 30 --patience 0");

        Assert.Equal((Core.Training.LrSchedule.OneCycle, 30, 0), (r.Options.LrSchedule, r.Options.Epochs, r.Options.Patience));
    }

    [Fact]
    public void Given_no_monitor_When_parsed_Then_early_stopping_watches_val_accuracy()
    {
        Assert.Equal(Core.Tuning.TuningObjective.ValAccuracy, Parse("train --out o").Options.Monitor);
    }

    [Fact]
    public void Given_monitor_val_loss_When_parsed_Then_early_stopping_watches_val_loss()
    {
        Assert.Equal(Core.Tuning.TuningObjective.ValLoss, Parse("train --out o --monitor val_loss").Options.Monitor);
    }

    [Fact]
    public void Given_an_unknown_monitor_When_parsed_Then_the_error_names_the_flag_and_the_metrics_accepted()
    {
        var parse = CliApp.Parse(["train", "--out", "o", "--monitor", "accuracy"]);

        var error = Assert.Single(parse.Errors).Message;
        Assert.Contains("--monitor accuracy", error);
        Assert.Contains("val_accuracy", error);
        Assert.Contains("val_loss", error);
    }

    [Fact]
    public void Given_no_augment_When_parsed_Then_augmentation_is_off_whatever_the_ranges()
    {
        Assert.True(Parse("train --out o --no-augment --rotation 30").Options.Augmentation.IsIdentity);
    }

    [Fact]
    public void Given_augmentation_ranges_When_parsed_Then_they_replace_the_seed_ranges()
    {
        Assert.Equal(new AugmentationOptions(5, 0.2, 0), Parse("train --out o --rotation 5 --zoom 0.2 --shift 0").Options.Augmentation);
    }

    [Fact]
    public void Given_resume_with_an_epoch_budget_When_parsed_Then_the_new_budget_is_carried()
    {
        var r = Parse("train --out o --resume --epochs 120");

        Assert.True(r.Resume);
        Assert.Equal(120, r.ResumeEpochs);
    }

    [Fact]
    public void Given_resume_without_epochs_When_parsed_Then_the_checkpoint_budget_is_kept()
    {
        Assert.Null(Parse("train --out o --resume").ResumeEpochs);
    }

    [Fact]
    public void Given_a_hyperparameters_file_When_parsed_Then_the_model_is_built_from_it()
    {
        using var dir = new TempDir();
        var file = dir.File("hp.json");
        File.WriteAllText(file, Json.Serialize(ModelConfig.Seed with { Conv1Filters = 64, Dense = [new(128, "selu", 0.3)] }));

        var r = Parse($"train --out o --hyperparameters {file}");

        Assert.Equal(64, r.Config.Conv1Filters);
        Assert.Equal(128, r.Config.Dense[0].Units);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("train --out o --device gpu")]
    [InlineData("train --out o --threads 0")]
    [InlineData("train --out o --epochs many")]
    public void Given_a_bad_command_line_When_parsed_Then_it_is_a_parse_error(string line)
    {
        Assert.NotEmpty(CliApp.Parse(line.Split(' ')).Errors);
    }
}
