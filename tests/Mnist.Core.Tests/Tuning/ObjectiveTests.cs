using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>One objective that knows its direction: which score is better, which trial and which epoch are best.</summary>
public sealed class ObjectiveTests
{
    private static TrialRecord Trial(int id, TrialStatus status, double? score) =>
        new(id, status, new Dictionary<string, double>(), [], score, 1, null, null, null, null, null, null, 1);

    private static EpochRecord Epoch(int epoch, double valLoss, double valAccuracy) => new(epoch, 0.5, 0.9, valLoss, valAccuracy, 1e-3, 1);

    [Fact]
    public void Given_val_accuracy_When_two_scores_are_compared_Then_the_higher_is_better_and_its_loss_is_lower()
    {
        Assert.True(Objective.ValAccuracy.Better(0.99, 0.98));
        Assert.True(Objective.ValAccuracy.LossOf(0.99) < Objective.ValAccuracy.LossOf(0.98));
        Assert.Equal(0.98, Objective.ValAccuracy.Worst([0.99, 0.98, 0.985]));
    }

    [Fact]
    public void Given_val_loss_When_two_scores_are_compared_Then_the_lower_is_better()
    {
        Assert.True(Objective.ValLoss.Better(0.1, 0.2));
        Assert.Equal(0.2, Objective.ValLoss.Worst([0.1, 0.2, 0.15]));
        Assert.Equal(0.1, Objective.ValLoss.BetterOf(0.2, 0.1));
    }

    [Fact]
    public void Given_trials_of_every_status_When_ranked_Then_only_completed_ones_count_best_first_and_ties_go_to_the_earlier()
    {
        TrialRecord[] trials =
        [
            Trial(0, TrialStatus.Completed, 0.97),
            Trial(1, TrialStatus.Pruned, 0.999),
            Trial(2, TrialStatus.Completed, 0.98),
            Trial(3, TrialStatus.Failed, null),
            Trial(4, TrialStatus.Completed, 0.98),
            Trial(5, TrialStatus.Running, null),
        ];

        Assert.Equal([2, 4, 0], Objective.ValAccuracy.Ranked(trials).Select(t => t.Id));
        Assert.Equal(2, Objective.ValAccuracy.Best(trials)!.Id);
        Assert.Null(Objective.ValAccuracy.Best([Trial(0, TrialStatus.Pruned, 0.9)]));
    }

    [Fact]
    public void Given_a_history_When_its_best_epoch_is_asked_Then_each_objective_reads_its_own_metric_and_ties_go_to_the_earlier()
    {
        EpochRecord[] history = [Epoch(1, 0.30, 0.95), Epoch(2, 0.20, 0.97), Epoch(3, 0.25, 0.97)];

        Assert.Equal(2, Objective.ValAccuracy.BestEpoch(history)!.Epoch);
        Assert.Equal(2, Objective.ValLoss.BestEpoch(history)!.Epoch);
        Assert.Equal(1, Objective.ValLoss.BestEpoch([Epoch(1, 0.2, 0.9), Epoch(2, 0.2, 0.95)])!.Epoch);
        Assert.Null(Objective.ValLoss.BestEpoch([]));
    }

    [Fact]
    public void Given_a_stored_objective_When_its_goal_is_read_Then_the_name_and_direction_follow()
    {
        Assert.Equal(("val_accuracy", Direction.Max, "maximised"), (Objective.ValAccuracy.Name, Objective.Of(TuningObjective.ValAccuracy).Direction, Objective.ValAccuracy.DirectionWord));
        Assert.Equal(Objective.ValLoss, Objective.Of(TuningObjective.ValLoss));
    }
}
