using System.Text.Json.Nodes;
using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Training;

/// <summary>The split seed: which images a run holds out, alone of the run's seed, and an ensemble's validation split.</summary>
public sealed class SplitSeedTests
{
    private static readonly TrainingOptions Small = new() { TrainLimit = 2000 };

    private static HashSet<string> HeldOut(TrainingOptions options)
    {
        var (_, validation) = TrainingData.Split(TestData.Mnist.Train, options);
        return Enumerable.Range(0, validation.Count).Select(i => Convert.ToBase64String(validation.Image(i)) + validation.Labels[i]).ToHashSet();
    }

    private static EnsembleMember Member(string source, TrainingOptions? training) =>
        new(source, ModelConfig.Seed, Normalization.UnitRange, 1, null, training, 1, null);

    private static ModelManifest Ensemble(params EnsembleMember[] members) => SeedModelFile.Manifest() with { Members = members };

    [Fact]
    public void Given_no_split_seed_When_split_Then_the_runs_seed_decides_the_held_out_images_as_before()
    {
        Assert.Null(Small.SplitSeed);
        Assert.Equal(Small.Seed, Small.ValidationSeed);
        Assert.Equal(HeldOut(Small with { SplitSeed = 42 }), HeldOut(Small));
        Assert.NotEqual(HeldOut(Small), HeldOut(Small with { Seed = 43 }));
    }

    [Fact]
    public void Given_two_seeds_and_one_split_seed_When_split_Then_both_runs_hold_out_the_same_images()
    {
        var a = Small with { Seed = 43, SplitSeed = 7 };
        var b = Small with { Seed = 44, SplitSeed = 7 };

        Assert.Equal(HeldOut(a), HeldOut(b));
        Assert.True(TrainingData.HoldOutSameImages(a, b));
        Assert.False(TrainingData.HoldOutSameImages(a, b with { SplitSeed = 8 }));
        Assert.False(TrainingData.HoldOutSameImages(a, b with { TrainLimit = 3000 }));
    }

    [Fact]
    public void Given_options_written_before_the_split_seed_When_read_Then_it_is_unset_and_a_set_one_is_kept()
    {
        var node = JsonNode.Parse(Json.Serialize(new TrainingOptions()))!.AsObject();
        Assert.False(node.ContainsKey("split_seed"));

        Assert.Null(Json.Deserialize<TrainingOptions>(node.ToJsonString(), "checkpoint.ckpt").SplitSeed);
        var set = new TrainingOptions { SplitSeed = 5 };
        Assert.Equal(set, Json.Deserialize<TrainingOptions>(Json.Serialize(set), "checkpoint.ckpt"));
    }

    [Fact]
    public void Given_ensemble_members_that_share_a_split_When_asked_what_it_held_out_Then_it_is_their_split()
    {
        var manifest = Ensemble(Member("a", new TrainingOptions { Seed = 42 }), Member("b", new TrainingOptions { Seed = 43, SplitSeed = 42 }));

        var heldOut = manifest.HeldOutOptions();

        Assert.NotNull(heldOut);
        Assert.Equal(42, heldOut.ValidationSeed);
    }

    [Fact]
    public void Given_ensemble_members_with_different_splits_When_asked_what_it_held_out_Then_the_error_names_two_members_and_the_flag()
    {
        var manifest = Ensemble(Member("runs/a", new TrainingOptions { Seed = 42 }), Member("runs/b", new TrainingOptions { Seed = 43 }));

        var e = Assert.Throws<InvalidDataException>(() => manifest.HeldOutOptions());

        Assert.Contains("runs/a: the 0.1 of the training images that a run with seed 42 holds out", e.Message, StringComparison.Ordinal);
        Assert.Contains("runs/b: the 0.1 of the training images that a run with seed 43 holds out", e.Message, StringComparison.Ordinal);
        Assert.Contains("--split-seed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_an_ensemble_member_that_does_not_record_its_training_When_asked_what_it_held_out_Then_the_error_names_that_member()
    {
        var manifest = Ensemble(Member("runs/a", new TrainingOptions()), Member("runs/old", null));

        var e = Assert.Throws<InvalidDataException>(() => manifest.HeldOutOptions());

        Assert.Contains("member runs/old does not record how it was trained", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_single_network_When_asked_what_it_held_out_Then_it_is_its_own_training_options()
    {
        var options = new TrainingOptions { Seed = 3, SplitSeed = 9 };

        Assert.Same(options, (SeedModelFile.Manifest() with { Training = options }).HeldOutOptions());
        Assert.Null(SeedModelFile.Manifest().HeldOutOptions());
    }

    [Fact]
    public void The_held_out_images_in_words_name_the_fraction_the_limit_the_share_and_the_seed_that_chose_them()
    {
        Assert.Equal("the 0.1 of the training images that a run with seed 42 holds out", TrainingData.DescribeHeldOut(new TrainingOptions()));
        Assert.Equal(
            "the 0.2 of the first 5000 training images (a 0.5 share of them) that a run with split seed 4 holds out",
            TrainingData.DescribeHeldOut(new TrainingOptions { ValidationFraction = 0.2, TrainLimit = 5000, DataFraction = 0.5, Seed = 3, SplitSeed = 4 }));
    }

    [Fact]
    public void The_held_out_images_in_words_keep_every_digit_of_a_fraction_and_name_a_dataset_other_than_mnist()
    {
        Assert.Equal(
            "the 0.125 of the fashion-mnist training images (a 0.999 share of them) that a run with seed 42 holds out",
            TrainingData.DescribeHeldOut(new TrainingOptions { Dataset = "fashion-mnist", ValidationFraction = 0.125, DataFraction = 0.999 }));
    }
}
