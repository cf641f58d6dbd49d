using Mnist.Core.Infrastructure;
using Mnist.Core.Training;

namespace Mnist.Cli.Tests;

/// <summary>Core names its settings in its own words; the command line says them as flags.</summary>
public sealed class CliFlagsTests
{
    [Fact]
    public void Given_a_bad_training_option_When_core_rejects_it_Then_core_names_its_own_setting_and_the_cli_says_the_flag()
    {
        var e = Assert.Throws<SettingException>(() => new TrainingOptions { ValidationFraction = 1.5 }.Validate());

        Assert.Equal("validation_fraction = 1.5: must be in (0, 1)", e.Message);
        Assert.Equal("--validation-split 1.5: must be in (0, 1)", CliFlags.Describe(e));
    }

    [Fact]
    public void Given_a_command_that_names_a_setting_otherwise_When_described_Then_its_own_flag_is_used()
    {
        var e = Assert.Throws<SettingException>(() => new TrainingOptions { Epochs = 0 }.Validate());

        Assert.Equal("--max-epochs 0: must be at least 1", CliFlags.Describe(e, new Dictionary<string, string> { ["epochs"] = "--max-epochs" }));
    }

    [Fact]
    public void Given_a_setting_without_a_flag_When_described_Then_cores_words_stand()
    {
        var e = Assert.Throws<SettingException>(() => new TrainingOptions { EvalBatchSize = 0 }.Validate());

        Assert.Equal(e.Message, CliFlags.Describe(e));
    }

    [Fact]
    public void Given_the_renamed_settings_When_their_flags_are_looked_up_Then_each_is_an_option_of_the_cli()
    {
        Assert.All(CliFlags.Renamed.Values, flag => Assert.Contains(flag, CliFlags.Known));
    }

    [Theory]
    [InlineData("batch_size", 0, "--batch-size 0: must be at least 1")]
    [InlineData("max_body_bytes", -1, "--max-body-bytes -1: must be positive")]
    public void Given_a_setting_whose_flag_is_its_name_in_kebab_case_When_described_Then_that_flag_is_named(string setting, int value, string expected)
    {
        var rule = expected[(expected.IndexOf(": ", StringComparison.Ordinal) + 2)..];

        Assert.Equal(expected, CliFlags.Describe(new SettingException(setting, value, rule)));
    }

    [Fact]
    public async Task Given_a_bad_flag_value_When_the_command_runs_Then_the_error_line_names_the_flag()
    {
        var (code, _, error) = await Commands.CommandRunTests.Run(["tune", "--out", Path.GetTempPath(), "--trials", "0", "--data-dir", Mnist.Testing.TestData.MnistDir]);

        Assert.Equal(1, code);
        Assert.Contains("--trials 0: must be at least 1", error, StringComparison.Ordinal);
    }
}
