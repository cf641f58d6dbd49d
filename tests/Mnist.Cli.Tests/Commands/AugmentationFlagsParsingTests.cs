using Mnist.Cli.Commands;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Training;

namespace Mnist.Cli.Tests.Commands;

/// <summary>The augmentations beyond the seed's affine transform on the command line: --elastic-alpha, --elastic-sigma, --shear, --stroke-jitter.</summary>
public sealed class AugmentationFlagsParsingTests
{
    private const string NewFlags = "--elastic-alpha 34 --elastic-sigma 5 --shear 10 --stroke-jitter 0.5";

    private static readonly AugmentationOptions Expected =
        AugmentationOptions.Seed with { ElasticAlpha = 34, ElasticSigma = 5, ShearDegrees = 10, StrokeJitter = 0.5 };

    private static System.CommandLine.ParseResult Parse(string line)
    {
        var parse = CliApp.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(parse.Errors);
        return parse;
    }

    [Fact]
    public void Train_puts_the_new_augmentation_flags_beside_the_seed_ranges()
    {
        Assert.Equal(Expected, TrainCommand.ToRequest(Parse("train --out o " + NewFlags)).Options.Augmentation);
        Assert.Equal(new AugmentationOptions(5, 0.2, 0) with { ShearDegrees = 3 },
            TrainCommand.ToRequest(Parse("train --out o --rotation 5 --zoom 0.2 --shift 0 --shear 3")).Options.Augmentation);
    }

    [Fact]
    public void Without_the_new_flags_each_commands_augmentation_is_cores_default()
    {
        Assert.Equal(new TrainingOptions().Augmentation, TrainCommand.ToRequest(Parse("train --out o")).Options.Augmentation);
        Assert.Equal(new Core.Jobs.TuneRequest { OutDir = "." }.TrialOptions.Augmentation, TuneCommand.ToRequest(Parse("tune --out o")).TrialOptions.Augmentation);
        Assert.Equal(new Core.Jobs.PipelineRequest { OutDir = "." }.Augmentation, PipelineCommand.ToRequest(Parse("pipeline --out o")).Augmentation);
    }

    [Fact]
    public void No_augment_turns_the_new_augmentations_off_too()
    {
        Assert.Equal(AugmentationOptions.None, TrainCommand.ToRequest(Parse("train --out o --no-augment " + NewFlags)).Options.Augmentation);
    }

    [Fact]
    public void Tune_puts_the_new_augmentation_flags_into_every_trials_options()
    {
        Assert.Equal(Expected, TuneCommand.ToRequest(Parse("tune --out o " + NewFlags)).TrialOptions.Augmentation);
    }

    [Fact]
    public void Pipeline_puts_the_new_augmentation_flags_into_its_request()
    {
        Assert.Equal(Expected, PipelineCommand.ToRequest(Parse("pipeline --out o " + NewFlags)).Augmentation);
    }

    [Theory]
    [InlineData("shear_degrees", 90.0, "--shear 90: must be in [0, 90) degrees")]
    [InlineData("elastic_alpha", -1.0, "--elastic-alpha -1: must be 0 (off) or more pixels")]
    [InlineData("elastic_sigma", 0.0, "--elastic-sigma 0: must be more than 0 pixels")]
    [InlineData("stroke_jitter", 2.0, "--stroke-jitter 2: must be in [0, 1.5] pixels")]
    public void A_bad_new_augmentation_value_is_reported_under_its_flag(string setting, double value, string expected)
    {
        var augmentation = setting switch
        {
            "shear_degrees" => AugmentationOptions.Seed with { ShearDegrees = value },
            "elastic_alpha" => AugmentationOptions.Seed with { ElasticAlpha = value },
            "elastic_sigma" => AugmentationOptions.Seed with { ElasticSigma = value },
            _ => AugmentationOptions.Seed with { StrokeJitter = value },
        };

        var e = Assert.Throws<SettingException>(() => new TrainingOptions { Augmentation = augmentation }.Validate());

        Assert.Equal(expected, CliFlags.Describe(e));
    }
}
