using Mnist.Core.Infrastructure;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// The pruners. <see cref="SuccessiveHalvingPruner"/> follows Optuna's
/// <c>_is_trial_promotable_to_next_rung</c>: with the n values recorded at a rung (the trial's
/// own included) sorted ascending, promotable = max(0, floor(n / η) - 1), and the trial goes on
/// when its loss &lt;= sorted[promotable]; a NaN is always pruned.
/// </summary>
public sealed class PrunerTests
{
    private static readonly SuccessiveHalvingPruner Asha = new(); // η = 3, first rung at 1/9 of an epoch

    /// <summary>Whether a trial goes on at rung 0 with <paramref name="loss"/>, the others having recorded <paramref name="others"/>.</summary>
    private static bool GoesOn(IPruner pruner, double loss, params double[] others) => !pruner.ShouldPrune(0, loss, [.. others, loss]);

    [Fact]
    public void Given_the_default_pruner_and_10_epochs_When_its_rungs_are_placed_Then_they_sit_at_a_ninth_a_third_1_3_and_9_epochs()
    {
        Assert.Equal([1.0 / 9, 1.0 / 3, 1, 3, 9], Asha.Rungs(10), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Given_the_default_pruner_and_4_epochs_When_its_rungs_are_placed_Then_they_stop_below_the_cap()
    {
        Assert.Equal([1.0 / 9, 1.0 / 3, 1, 3], Asha.Rungs(4), new ToleranceComparer(1e-12));
    }

    [Theory]
    [InlineData(9.0, 4)] // 9 is the cap itself: the value there is the final score, not a decision
    [InlineData(3.0, 3)]
    [InlineData(1.0, 2)]
    [InlineData(1.0 / 3, 1)]
    [InlineData(1.0 / 9, 0)]
    [InlineData(0.05, 0)]
    public void Given_a_cap_on_a_rung_or_below_the_first_When_rungs_are_placed_Then_none_sits_at_or_after_the_cap(double maxEpochs, int expected)
    {
        var rungs = Asha.Rungs(maxEpochs);

        Assert.Equal(expected, rungs.Count);
        Assert.All(rungs, r => Assert.True(r < maxEpochs, $"rung {r} at or after the cap {maxEpochs}"));
        Assert.Equal(rungs.Order(), rungs);
    }

    [Fact]
    public void Given_a_minimum_early_stopping_rate_When_rungs_are_placed_Then_the_first_rung_moves_up_by_that_many_factors()
    {
        var pruner = new SuccessiveHalvingPruner(minResource: 1.0 / 9, reductionFactor: 3, minEarlyStoppingRate: 1);

        Assert.Equal([1.0 / 3, 1, 3], pruner.Rungs(4), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Given_a_reduction_factor_of_2_When_rungs_are_placed_Then_each_rung_doubles_the_resource()
    {
        var pruner = new SuccessiveHalvingPruner(minResource: 0.25, reductionFactor: 2);

        Assert.Equal([0.25, 0.5, 1, 2], pruner.Rungs(3), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Given_the_first_value_at_a_rung_When_asked_Then_the_trial_goes_on_whatever_it_is()
    {
        Assert.True(GoesOn(Asha, 0.9));
        Assert.True(GoesOn(Asha, 1e6));
    }

    [Fact]
    public void Given_a_second_value_worse_than_the_first_When_asked_Then_the_trial_is_pruned()
    {
        Assert.False(GoesOn(Asha, 0.5, 0.3));
    }

    [Fact]
    public void Given_a_second_value_better_than_the_first_When_asked_Then_the_trial_goes_on()
    {
        Assert.True(GoesOn(Asha, 0.2, 0.3));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Given_3_to_5_values_When_asked_Then_only_the_best_goes_on(int n)
    {
        var values = Enumerable.Range(1, n).Select(i => i / 10.0).ToArray(); // 0.1 is the best

        Assert.Equal([true, .. Enumerable.Repeat(false, n - 1)], values.Select(v => !Asha.ShouldPrune(0, v, values)));
    }

    [Fact]
    public void Given_6_values_When_asked_Then_the_best_two_go_on()
    {
        double[] values = [0.6, 0.1, 0.5, 0.2, 0.4, 0.3];

        Assert.Equal([false, true, false, true, false, false], values.Select(v => !Asha.ShouldPrune(0, v, values)));
    }

    [Fact]
    public void Given_9_values_When_asked_Then_the_best_three_go_on()
    {
        var values = Enumerable.Range(1, 9).Select(i => i / 10.0).Reverse().ToArray(); // 0.9 ... 0.1

        Assert.Equal([0.1, 0.2, 0.3], values.Where(v => !Asha.ShouldPrune(0, v, values)).Order());
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(5, 0)]
    [InlineData(6, 1)]
    [InlineData(8, 1)]
    [InlineData(9, 2)]
    [InlineData(12, 3)]
    [InlineData(27, 8)]
    public void Given_n_values_When_asked_Then_the_cut_is_at_optunas_promotable_index(int n, int promotable)
    {
        var rng = new Random(n);
        var values = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
        var sorted = values.Order().ToArray();

        foreach (var v in values)
        {
            Assert.Equal(v > sorted[promotable], Asha.ShouldPrune(2, v, values));
        }
        Assert.Equal(promotable + 1, values.Count(v => !Asha.ShouldPrune(2, v, values)));
    }

    [Fact]
    public void Given_a_tie_with_the_best_value_When_asked_Then_the_trial_goes_on()
    {
        Assert.True(GoesOn(Asha, 0.3, 0.3));
        Assert.True(GoesOn(Asha, 0.3, 0.3, 0.7));
    }

    [Fact]
    public void Given_a_tie_at_the_cut_of_6_values_When_asked_Then_every_tied_trial_goes_on()
    {
        double[] values = [0.1, 0.2, 0.2, 0.2, 0.5, 0.6];

        Assert.Equal([true, true, true, true, false, false], values.Select(v => !Asha.ShouldPrune(0, v, values)));
    }

    [Fact]
    public void Given_a_nan_value_When_asked_Then_the_trial_is_pruned_even_when_alone()
    {
        Assert.True(Asha.ShouldPrune(0, double.NaN, [double.NaN]));
        Assert.True(Asha.ShouldPrune(0, double.NaN, [0.5, double.NaN]));
    }

    [Fact]
    public void Given_nan_values_of_other_trials_When_asked_Then_they_do_not_compete()
    {
        Assert.True(GoesOn(Asha, 0.5, double.NaN, double.NaN));
        Assert.False(GoesOn(Asha, 0.5, double.NaN, 0.4));
    }

    [Fact]
    public void Given_accuracies_turned_into_losses_When_asked_Then_the_highest_accuracy_goes_on()
    {
        var study = new StudyDefinition("s", TestFunctions.BraninSpace.Parameters, TuningObjective.ValAccuracy);
        double[] accuracies = [0.95, 0.99, 0.97];
        var losses = accuracies.Select(study.Goal.LossOf).ToArray();

        Assert.Equal([false, true, false], accuracies.Select(a => !Asha.ShouldPrune(0, study.Goal.LossOf(a), losses)));
    }

    [Fact]
    public void Given_the_same_values_When_asked_at_another_rung_Then_the_decision_is_the_same()
    {
        double[] values = [0.4, 0.1, 0.3, 0.2, 0.6, 0.5];

        for (var rung = 1; rung < 5; rung++)
        {
            Assert.Equal(values.Select(v => Asha.ShouldPrune(0, v, values)), values.Select(v => Asha.ShouldPrune(rung, v, values)));
        }
    }

    [Fact]
    public void Given_a_reduction_factor_of_2_When_4_values_are_recorded_Then_the_best_two_go_on()
    {
        var pruner = new SuccessiveHalvingPruner(reductionFactor: 2);
        double[] values = [0.4, 0.1, 0.3, 0.2];

        Assert.Equal([false, true, false, true], values.Select(v => !pruner.ShouldPrune(0, v, values)));
    }

    [Fact]
    public void Given_no_list_of_values_When_asked_Then_it_throws()
    {
        Assert.Throws<ArgumentNullException>(() => Asha.ShouldPrune(0, 0.5, null!));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Given_a_minimum_resource_that_is_not_a_positive_number_When_constructed_Then_it_throws_naming_it(double minResource)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SuccessiveHalvingPruner(minResource: minResource));

        Assert.Equal("minResource", e.ParamName);
        Assert.Contains("positive number of epochs", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-3)]
    public void Given_a_reduction_factor_below_2_When_constructed_Then_it_throws_naming_it(int reductionFactor)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SuccessiveHalvingPruner(reductionFactor: reductionFactor));

        Assert.Equal("reductionFactor", e.ParamName);
        Assert.Contains("at least 2", e.Message);
    }

    [Fact]
    public void Given_a_negative_minimum_early_stopping_rate_When_constructed_Then_it_throws_naming_it()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SuccessiveHalvingPruner(minEarlyStoppingRate: -1));

        Assert.Equal("minEarlyStoppingRate", e.ParamName);
    }

    [Fact]
    public void Given_no_pruner_When_asked_Then_it_has_no_rungs_and_never_prunes()
    {
        var pruner = new NoPruner();

        Assert.Empty(pruner.Rungs(10));
        Assert.Empty(pruner.Rungs(1000));
        Assert.False(pruner.ShouldPrune(0, 1e9, [0.1, 0.2, 1e9]));
        Assert.False(pruner.ShouldPrune(3, double.NaN, [double.NaN]));
        Assert.Equal("none", pruner.Name);
    }

    [Theory]
    [InlineData("asha")]
    [InlineData("ASHA")]
    [InlineData("Asha")]
    public void Given_the_name_asha_When_looked_up_Then_it_is_successive_halving_with_optunas_defaults(string name)
    {
        var pruner = Assert.IsType<SuccessiveHalvingPruner>(Pruners.Create(Choice.Parse<PrunerKind>("pruner", name)));

        Assert.Equal((1.0 / 9, 3, 0), (pruner.MinResource, pruner.ReductionFactor, pruner.MinEarlyStoppingRate));
        Assert.Equal("asha", pruner.Name);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    public void Given_the_name_none_When_looked_up_Then_it_is_no_pruner(string name)
    {
        Assert.IsType<NoPruner>(Pruners.Create(Choice.Parse<PrunerKind>("pruner", name)));
    }

    [Fact]
    public void Given_an_unknown_name_When_looked_up_Then_it_throws_naming_it_and_the_choices()
    {
        var e = Assert.Throws<SettingException>(() => Choice.Parse<PrunerKind>("pruner", "hyperband"));

        Assert.Equal(("pruner", "hyperband"), (e.Setting, e.Value));
        Assert.Equal("pruner = hyperband: expected asha or none", e.Message);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

        public int GetHashCode(double obj) => 0;
    }
}
