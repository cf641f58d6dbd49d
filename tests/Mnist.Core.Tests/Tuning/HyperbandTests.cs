using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Core.Tuning;
using Mnist.Testing;
using TorchSharp;

namespace Mnist.Core.Tests.Tuning;

/// <summary>Hyperband's schedule as KerasTuner computes it, run by the tuner on a known function, and a promoted trial resuming exactly.</summary>
public sealed class HyperbandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static HyperbandScheduler Schedule(int maxEpochs, int factor = 3, int iterations = 1, int? cap = null) =>
        new(TestFunctions.BraninSpace, s => s, maxEpochs, factor, iterations, cap);

    [Fact]
    public void Given_30_epochs_and_factor_3_When_the_schedule_is_made_Then_brackets_sizes_and_epochs_are_kerastuners()
    {
        var hb = Schedule(30);

        // KerasTuner: _get_num_brackets = 4; _get_size(b, r) = ceil(ceil(1 + log3 30) / (b + 1) * 3^(b - r)); _get_epochs = ceil(30 / 3^(b - r)).
        Assert.Equal(4, hb.Brackets);
        Assert.Equal(new[] { 34, 12, 4, 2 }, Enumerable.Range(0, 4).Select(r => hb.Size(3, r)));
        Assert.Equal(new[] { 2, 4, 10, 30 }, Enumerable.Range(0, 4).Select(r => hb.Epochs(3, r)));
        Assert.Equal(new[] { 15, 5, 2 }, Enumerable.Range(0, 3).Select(r => hb.Size(2, r)));
        Assert.Equal(new[] { 4, 10, 30 }, Enumerable.Range(0, 3).Select(r => hb.Epochs(2, r)));
        Assert.Equal(new[] { 8, 3 }, Enumerable.Range(0, 2).Select(r => hb.Size(1, r)));
        Assert.Equal(5, hb.Size(0, 0));
        Assert.Equal(30, hb.Epochs(0, 0));
        Assert.Equal((62, 576), hb.Budget());
    }

    [Fact]
    public void Given_10_epochs_When_the_schedule_is_made_Then_three_brackets_start_22_configurations_and_train_120_epochs()
    {
        var hb = Schedule(10);

        Assert.Equal(3, hb.Brackets);
        Assert.Equal(new[] { 12, 4, 2 }, Enumerable.Range(0, 3).Select(r => hb.Size(2, r)));
        Assert.Equal(new[] { 2, 4, 10 }, Enumerable.Range(0, 3).Select(r => hb.Epochs(2, r)));
        Assert.Equal((22, 120), hb.Budget());
    }

    [Fact]
    public void Given_a_factor_below_2_When_a_schedule_is_made_Then_it_refuses()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedule(10, factor: 1));
    }

    /// <summary>A trial that "trains" to its plan's epochs: its score improves with epochs, by an amount fixed by its configuration.</summary>
    private sealed class CurveObjective : ITrialObjective
    {
        public List<(int Trial, int From, int To)> Runs { get; } = [];

        public TrialOutcome Run(TrialContext context)
        {
            var plan = context.Trial.Plan!;
            var saved = context.LoadState();
            Assert.Equal(plan.FromEpochs > 0, saved is not null);
            if (saved is not null) Assert.Equal(plan.FromEpochs, BitConverter.ToInt32(saved));
            lock (Runs) Runs.Add((context.Trial.Id, plan.FromEpochs, plan.Epochs));
            context.SaveState(BitConverter.GetBytes(plan.Epochs));
            var quality = TestFunctions.Branin(context.Trial.Hyperparameters);
            return new TrialOutcome(quality + 10.0 / (1 + plan.Epochs), plan.Epochs, plan.Epochs);
        }
    }

    private (SqliteStudyStore Store, CurveObjective Objective, int Ran) RunStudy(int maxEpochs, int? cap = null)
    {
        var store = new SqliteStudyStore(_dir.File("hb.db"));
        store.OpenOrCreate(new StudyDefinition("hb", TestFunctions.BraninSpace.Parameters, TuningObjective.ValLoss));
        var objective = new CurveObjective();
        var tuner = new Tuner(store, new RandomOracle(TestFunctions.BraninSpace), TestFunctions.BraninSpace, objective, new TunerOptions
        {
            MaxTrials = int.MaxValue,
            Worker = "w",
            Scheduler = new HyperbandScheduler(TestFunctions.BraninSpace, store.Definition.Goal.LossOf, maxEpochs, maxConfigurations: cap),
        });
        return (store, objective, tuner.Run());
    }

    [Fact]
    public void Given_hyperband_over_10_epochs_When_the_tuner_runs_Then_it_starts_22_configurations_and_trains_120_epochs()
    {
        var (store, objective, _) = RunStudy(10);
        using var _ = store;

        var trials = store.Trials();
        Assert.Equal(22, trials.Count);
        Assert.Equal(120, objective.Runs.Sum(r => r.To - r.From));
        Assert.All(trials, t => Assert.True(t.Status is TrialStatus.Completed or TrialStatus.Pruned, $"trial {t.Id} is {t.Status}"));
        // Bracket 2: 12 configurations, 4 promoted to round 1, 2 of those to round 2; bracket 1: 6, 2 promoted; bracket 0: 4.
        Assert.Equal(2 + 2 + 4, trials.Count(t => t.Status == TrialStatus.Completed));
        Assert.Equal(10 + 4, trials.Count(t => t.Status == TrialStatus.Pruned));
    }

    [Fact]
    public void Given_hyperband_When_a_configuration_is_promoted_Then_it_continues_from_its_saved_state_in_the_same_trial()
    {
        var (store, objective, _) = RunStudy(10);
        using var _ = store;

        var promoted = objective.Runs.Where(r => r.From > 0).ToList();
        Assert.Equal(4 + 2 + 2, promoted.Count);
        foreach (var run in promoted)
        {
            // The same trial ran the round before, up to the epochs this round starts from.
            Assert.Contains(objective.Runs, r => r.Trial == run.Trial && r.To == run.From);
        }
        Assert.All(store.Trials(), t => Assert.Equal(1, t.Attempts));
    }

    [Fact]
    public void Given_a_round_When_promotions_are_made_Then_the_best_of_the_round_go_on_and_the_rest_are_pruned_at_it()
    {
        var (store, _, _) = RunStudy(10);
        using var _ = store;

        var bracket2 = store.Trials().Where(t => t.Plan!.Bracket == 2).ToList();
        var round0 = bracket2.Select(t => (t.Id, Value: t.Rungs.Single(r => r.Rung == 0).Value)).OrderBy(x => x.Value).ToList();
        var promotedIds = bracket2.Where(t => t.Plan!.Round >= 1).Select(t => t.Id).Order().ToList();
        Assert.Equal(round0.Take(4).Select(x => x.Id).Order(), promotedIds);
        Assert.All(bracket2.Where(t => t.Plan!.Round == 0), t => Assert.Equal((TrialStatus.Pruned, 0), (t.Status, t.Rung!.Value)));
    }

    [Fact]
    public void Given_a_trial_budget_below_the_first_bracket_When_hyperband_runs_Then_its_rounds_shrink_in_proportion_and_some_trials_complete()
    {
        var (store, objective, _) = RunStudy(10, cap: 10);
        using var _ = store;

        var trials = store.Trials();
        Assert.Equal(10, trials.Count);
        Assert.All(trials, t => Assert.True(t.Status is TrialStatus.Completed or TrialStatus.Pruned, $"trial {t.Id} is {t.Status}"));
        // Bracket 2 stopped at 10 of its 12: rounds of ceil(4 x 10/12) = 4 and ceil(2 x 10/12) = 2.
        Assert.Equal(2, trials.Count(t => t.Status == TrialStatus.Completed));
        Assert.Equal(10 * 2 + 4 * 2 + 2 * 6, objective.Runs.Sum(r => r.To - r.From));
    }

    [Fact]
    public void Given_powers_of_the_factor_When_the_schedule_is_made_Then_the_sizes_are_those_python_computes_for_kerastuner()
    {
        // Python 3: math.ceil(1 + math.log(m, 3)) is 4 for m = 27 and 5 for m = 81 (the logs come out exact), so round 0 of the
        // most aggressive bracket holds ceil(4 / 4 * 27) = 27 and ceil(5 / 5 * 81) = 81 configurations.
        Assert.Equal(27, Schedule(27).Size(3, 0));
        Assert.Equal(81, Schedule(81).Size(4, 0));
        Assert.Equal(9, Schedule(9).Size(2, 0));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Given_a_tiny_mnist_trial_When_trained_in_two_hyperband_rounds_Then_its_history_equals_four_epochs_in_one_go()
    {
        var dataset = TestData.Mnist;
        var options = new TrainingOptions { Epochs = 4, TrainLimit = 600, Seed = 5 };
        using var data = TrainingData.Create(dataset.Train, options, 10, torch.CPU);
        var definition = new StudyDefinition("resume", ModelBuilder.SeedSearchSpace().Parameters, TuningObjective.ValAccuracy);
        var objective = new MnistTrialObjective(data, options, definition, torch.CPU);
        var hp = ModelBuilder.SeedSearchSpace().Defaults();
        byte[]? state = null;
        var epochs = new List<EpochRecord>();
        TrialOutcome Round(int round, int from, int to) => objective.Run(new TrialContext(
            new TrialRecord(0, TrialStatus.Running, hp, [], null, null, null, "w", null, null, null, null, 1, Plan: new TrialPlan(0, 1, round, from, to)),
            epochs.Add, CancellationToken.None)
        {
            LoadState = () => state,
            SaveState = s => state = s,
        });

        Round(0, 0, 2);
        var outcome = Round(1, 2, 4);
        var split = epochs.ToList();
        epochs.Clear();
        state = null;
        var straight = objective.Run(new TrialContext(
            new TrialRecord(1, TrialStatus.Running, hp, [], null, null, null, "w", null, null, null, null, 1, Plan: new TrialPlan(0, 0, 0, 0, 4)),
            epochs.Add, CancellationToken.None));

        Assert.Equal(4, split.Count);
        Assert.Equal(epochs.Select(e => (e.Epoch, e.Loss, e.ValLoss, e.ValAccuracy, e.LearningRate)), split.Select(e => (e.Epoch, e.Loss, e.ValLoss, e.ValAccuracy, e.LearningRate)));
        Assert.Equal(straight.Score, outcome.Score);
        Assert.Equal(4, outcome.Epochs);
    }
}
