using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Core.Tests.Training;

/// <summary>A run stopped between epochs: what it keeps, and when another budget would continue it exactly.</summary>
public sealed class TrainingSnapshotTests
{
    private static readonly TrainingOptions TrialOptions = new() { Epochs = 10, Seed = 7 };

    private static TrainingSnapshot Snapshot(TrainingOptions? options = null) =>
        new([1, 2], [3], [4, 5, 6], new TrainerState(10, 0.05, 8, 2, 0, false, 5e-4), [new EpochRecord(1, 0.3, 0.9, 0.2, 0.95, 1e-3, 12.5)])
        {
            Options = options ?? TrialOptions,
            DataChecksums = new Dictionary<string, string> { ["train-images-idx3-ubyte.gz"] = "abc" },
        };

    [Fact]
    public void Given_a_snapshot_When_written_and_read_back_Then_every_part_is_kept()
    {
        var snapshot = Snapshot();

        var read = TrainingSnapshot.Read(snapshot.ToBytes(), "test");

        Assert.Equal(snapshot.Weights, read.Weights);
        Assert.Equal(snapshot.BestWeights, read.BestWeights);
        Assert.Equal(snapshot.Optimizer, read.Optimizer);
        Assert.Equal(snapshot.State, read.State);
        Assert.Equal(snapshot.History, read.History);
        Assert.Equal(snapshot.Options, read.Options);
        Assert.Equal(snapshot.DataChecksums, read.DataChecksums);
    }

    [Fact]
    public void Given_bytes_that_are_not_a_snapshot_When_read_Then_the_error_names_the_source()
    {
        var e = Assert.Throws<InvalidDataException>(() => TrainingSnapshot.Read([1, 2, 3], "trial 4"));

        Assert.StartsWith("trial 4:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_the_trials_options_with_a_larger_epoch_budget_When_asked_Then_it_can_be_continued()
    {
        Assert.Null(Snapshot().CannotContinueAs(TrialOptions with { Epochs = 100 }));
    }

    [Fact]
    public void Given_another_seed_When_asked_Then_it_cannot_be_continued_and_the_reason_shows_both_options()
    {
        var why = Snapshot().CannotContinueAs(TrialOptions with { Epochs = 100, Seed = 8 });

        Assert.NotNull(why);
        Assert.Contains("\"seed\":7", why, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"seed\":8", why, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Given_another_elastic_distortion_When_asked_Then_it_cannot_be_continued_since_the_options_compare_whole()
    {
        var elastic = TrialOptions with { Augmentation = Mnist.Core.Data.AugmentationOptions.Seed with { ElasticAlpha = 34 } };

        Assert.Contains("\"elastic_alpha\":34", Snapshot(elastic).CannotContinueAs(TrialOptions with { Epochs = 100 }), StringComparison.Ordinal);
        Assert.Null(Snapshot(elastic).CannotContinueAs(elastic with { Epochs = 100 }));
    }

    [Fact]
    public void Given_a_trial_on_a_share_of_the_data_When_asked_for_a_training_on_all_of_it_Then_it_cannot_be_continued()
    {
        var snapshot = Snapshot(TrialOptions with { DataFraction = 0.1 });

        Assert.NotNull(snapshot.CannotContinueAs(TrialOptions with { Epochs = 100 }));
    }

    [Fact]
    public void Given_a_one_cycle_schedule_When_asked_Then_it_cannot_be_continued_since_every_step_depends_on_the_budget()
    {
        var oneCycle = TrialOptions with { LrSchedule = LrSchedule.OneCycle };

        Assert.Contains("one-cycle", Snapshot(oneCycle).CannotContinueAs(oneCycle with { Epochs = 100 }), StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_smaller_epoch_budget_than_the_trial_trained_When_asked_Then_it_cannot_be_continued()
    {
        Assert.NotNull(Snapshot().CannotContinueAs(TrialOptions with { Epochs = 5 }));
    }

    [Fact]
    public void Given_a_snapshot_that_does_not_record_its_options_or_data_When_asked_Then_it_cannot_be_continued()
    {
        Assert.NotNull((Snapshot() with { Options = null }).CannotContinueAs(TrialOptions));
        Assert.NotNull((Snapshot() with { DataChecksums = null }).CannotContinueAs(TrialOptions));
    }
}
