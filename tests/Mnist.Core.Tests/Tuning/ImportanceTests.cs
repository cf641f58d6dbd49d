using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// Hyperparameter importance by functional ANOVA (Hutter et al. 2014, as Optuna's fANOVA
/// evaluator): the random forest surrogate, the exact variance decomposition of one tree, and the
/// importances of known functions of uniformly sampled points.
/// </summary>
public sealed class ImportanceTests
{
    private static readonly RandomForestOptions OneTree = new() { Trees = 1, Bootstrap = false };

    private static SearchSpace Cube(int dimensions) =>
        new(Enumerable.Range(0, dimensions).Select(i => (HyperParameter)new FloatParameter($"x{i}", 0, 1)).ToList());

    private static StudyDefinition Study(SearchSpace space, string name = "known") => new(name, space.Parameters, TuningObjective.ValLoss);

    private static TrialRecord Trial(int id, double[] unit, double? score, TrialStatus status = TrialStatus.Completed, SearchSpace? space = null) =>
        new(id, status, (space ?? Cube(unit.Length)).FromUnit(unit), unit, score, 1, null, null, null, null, null, null, 1);

    /// <summary><paramref name="count"/> completed trials at uniformly drawn points of the cube, scored by <paramref name="f"/>.</summary>
    private static List<TrialRecord> Sampled(int dimensions, int count, Func<double[], double> f, int seed = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var u = Enumerable.Range(0, dimensions).Select(_ => random.NextDouble()).ToArray();
            return Trial(i, u, f(u));
        }).ToList();
    }

    private static Dictionary<string, double> Importances(int dimensions, IReadOnlyList<TrialRecord> trials, int seed = 0) =>
        HyperparameterImportance.Compute(Study(Cube(dimensions)), trials, seed).Importances.ToDictionary(i => i.Name, i => i.Importance);

    [Fact]
    public void Given_one_tree_without_bootstrap_When_fitted_to_a_step_function_Then_it_splits_once_halfway_between_the_steps_points_and_predicts_it_exactly()
    {
        double[][] x = [[0.1, 0.8], [0.3, 0.2], [0.7, 0.9], [0.9, 0.1]];
        double[] y = [2, 2, 5, 5];

        var tree = RegressionTree.Fit(x, y, OneTree, new Random(0));

        Assert.Equal(3, tree.Nodes.Count);
        Assert.Equal((0, 0.5), (tree.Nodes[0].Feature, tree.Nodes[0].Threshold));
        Assert.Equal([2.0, 2.0, 5.0, 5.0], x.Select(tree.Predict));
        Assert.Equal(2, tree.Predict([0.49, 0.5]));
        Assert.Equal(5, tree.Predict([0.51, 0.5]));
    }

    [Fact]
    public void Given_distinct_targets_When_one_unbounded_tree_is_fitted_Then_every_training_point_is_its_own_leaf()
    {
        var random = new Random(3);
        var x = Enumerable.Range(0, 30).Select(_ => new[] { random.NextDouble(), random.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(6 * p[0]) + p[1] * p[1]).ToArray();

        var tree = RegressionTree.Fit(x, y, OneTree, new Random(0));

        Assert.Equal(30, tree.Leaves);
        for (var i = 0; i < x.Length; i++) Assert.Equal(y[i], tree.Predict(x[i]), 12);
    }

    [Fact]
    public void Given_a_depth_limit_of_one_When_a_tree_is_fitted_Then_it_has_one_split_and_its_leaves_are_the_means_of_their_sides()
    {
        double[][] x = [[0.1], [0.2], [0.6], [0.8], [0.9]];
        double[] y = [1, 3, 10, 11, 12];

        var tree = RegressionTree.Fit(x, y, OneTree with { MaxDepth = 1 }, new Random(0));

        Assert.Equal(2, tree.Leaves);
        Assert.Equal(2, tree.Predict([0.0]), 12);
        Assert.Equal(11, tree.Predict([1.0]), 12);
    }

    [Fact]
    public void Given_a_min_samples_leaf_When_a_tree_is_fitted_Then_no_leaf_holds_fewer_samples()
    {
        var random = new Random(4);
        var x = Enumerable.Range(0, 40).Select(_ => new[] { random.NextDouble() }).ToArray();
        var y = x.Select(p => p[0]).ToArray();

        var tree = RegressionTree.Fit(x, y, OneTree with { MinSamplesLeaf = 5 }, new Random(0));

        Assert.All(tree.Nodes.Where(n => n.IsLeaf), n => Assert.InRange(n.Samples, 5, 40));
        Assert.True(tree.Leaves > 1);
    }

    [Fact]
    public void Given_the_same_seed_When_two_forests_are_fitted_Then_they_predict_alike_and_another_seed_draws_other_bootstrap_samples()
    {
        var random = new Random(5);
        var x = Enumerable.Range(0, 25).Select(_ => new[] { random.NextDouble(), random.NextDouble() }).ToArray();
        var y = x.Select(p => p[0] * 3 + Math.Cos(5 * p[1])).ToArray();
        double[][] probes = [[0.05, 0.5], [0.33, 0.66], [0.9, 0.1], [0.5, 0.95]];

        var a = RandomForest.Fit(x, y, seed: 7);
        var b = RandomForest.Fit(x, y, seed: 7);
        var c = RandomForest.Fit(x, y, seed: 8);

        Assert.Equal(64, a.Trees.Count);
        Assert.Equal(probes.Select(a.Predict), probes.Select(b.Predict));
        Assert.NotEqual(probes.Select(a.Predict), probes.Select(c.Predict));
    }

    [Fact]
    public void Given_a_tree_that_steps_in_x0_only_When_decomposed_Then_its_variance_is_all_x0s_main_effect()
    {
        double[][] x = [[0.1, 0.8], [0.3, 0.2], [0.7, 0.9], [0.9, 0.1]];
        var tree = RegressionTree.Fit(x, [0, 0, 1, 1], OneTree, new Random(0));

        Assert.Equal(0.25, Fanova.TotalVariance(tree), 12);
        Assert.Equal(0.25, Fanova.MarginalVariance(tree, 0), 12);
        Assert.Equal(0, Fanova.MarginalVariance(tree, 1), 12);
    }

    [Fact]
    public void Given_a_tree_of_a_pure_interaction_When_decomposed_Then_no_dimension_has_a_main_effect()
    {
        // f = 1 where exactly one of x0, x1 is above 0.5: each one's average over the other is 1/2 everywhere.
        double[][] x = [[0.25, 0.25], [0.25, 0.75], [0.75, 0.25], [0.75, 0.75]];
        var tree = RegressionTree.Fit(x, [0, 1, 1, 0], OneTree, new Random(0));

        Assert.Equal(0.25, Fanova.TotalVariance(tree), 12);
        Assert.Equal(0, Fanova.MarginalVariance(tree, 0), 12);
        Assert.Equal(0, Fanova.MarginalVariance(tree, 1), 12);
    }

    [Fact]
    public void Given_a_tree_with_unequal_cells_When_decomposed_Then_the_main_effect_weighs_each_cell_by_its_volume()
    {
        // Split x0 at 0.2, then (right side) x1 at 0.5: 0 on [0,0.2], 4 below and 6 above x1 = 0.5 on (0.2,1].
        double[][] x = [[0.1, 0.5], [0.3, 0.25], [0.3, 0.75]];
        var tree = RegressionTree.Fit(x, [0, 4, 6], OneTree, new Random(0));

        // 0 on 20% of the cube, 4 and 6 on 40% each: mean 4, variance 0.2*16 + 0.4*0 + 0.4*4.
        Assert.Equal(4.8, Fanova.TotalVariance(tree), 12);
        // Main effect of x0: 0 on [0, 0.2], 5 on (0.2, 1]: variance 0.2*16 + 0.8*1.
        Assert.Equal(4.0, Fanova.MarginalVariance(tree, 0), 12);
        // Main effect of x1: 0.8*4 = 3.2 below 0.5, 0.8*6 = 4.8 above: variance 0.64.
        Assert.Equal(0.64, Fanova.MarginalVariance(tree, 1), 12);
    }

    [Fact]
    public void Given_f_is_ten_x0_and_x1_x2_unused_When_importance_is_computed_Then_x0_has_at_least_nine_tenths_and_the_others_little()
    {
        var importances = Importances(3, Sampled(3, 60, u => 10 * u[0]));

        Assert.True(importances["x0"] >= 0.9, $"x0: {importances["x0"]}");
        Assert.True(importances["x1"] < 0.05, $"x1: {importances["x1"]}");
        Assert.True(importances["x2"] < 0.05, $"x2: {importances["x2"]}");
    }

    [Theory]
    [InlineData(3.0, 1.0)]
    [InlineData(1.0, 1.0)]
    [InlineData(1.0, 2.0)]
    public void Given_an_additive_f_of_a_x0_plus_b_x1_When_importance_is_computed_Then_the_shares_are_the_analytic_a2_over_a2_plus_b2(double a, double b)
    {
        var importances = Importances(2, Sampled(2, 200, u => a * u[0] + b * u[1]));

        var expected = a * a / (a * a + b * b);
        Assert.InRange(importances["x0"], expected - 0.05, expected + 0.05);
        Assert.Equal(1, importances["x0"] + importances["x1"], 12);
    }

    [Fact]
    public void Given_a_dimension_with_no_effect_When_importance_is_computed_Then_its_share_is_near_zero()
    {
        var importances = Importances(4, Sampled(4, 120, u => Math.Sin(4 * u[0]) + 2 * u[1] * u[1] + u[3]));

        Assert.InRange(importances["x2"], 0, 0.03);
        Assert.Equal(1, importances.Values.Sum(), 12);
    }

    [Fact]
    public void Given_the_same_trials_and_seed_When_importance_is_computed_twice_Then_the_results_are_equal()
    {
        var trials = Sampled(3, 40, u => u[0] + 0.5 * u[1] * u[2]);

        var first = HyperparameterImportance.Compute(Study(Cube(3)), trials, seed: 11);
        var second = HyperparameterImportance.Compute(Study(Cube(3)), trials, seed: 11);

        Assert.Equal(first.Importances, second.Importances);
        Assert.Equal(first.MainEffectsShare, second.MainEffectsShare);
    }

    [Fact]
    public void Given_a_result_When_read_Then_it_is_sorted_largest_first_names_every_hyperparameter_and_says_how_many_trials_it_used()
    {
        var trials = Sampled(3, 30, u => u[2] * 5 + u[0]);
        trials.Add(Trial(30, [0.5, 0.5, 0.5], null, TrialStatus.Failed));

        var report = HyperparameterImportance.Compute(Study(Cube(3), "sorted"), trials);

        Assert.Equal(["x2", "x0", "x1"], report.Importances.Select(i => i.Name));
        Assert.Equal((30, 31, "sorted", TuningObjective.ValLoss), (report.TrialsUsed, report.TrialsInStudy, report.Study, report.Objective));
    }

    [Fact]
    public void Given_no_more_trials_than_hyperparameters_When_the_report_is_printed_Then_it_warns_that_the_shares_are_mostly_noise()
    {
        var few = HyperparameterImportance.Compute(Study(Cube(3)), Sampled(3, 3, u => u[0]));
        var enough = HyperparameterImportance.Compute(Study(Cube(3)), Sampled(3, 4, u => u[0]));

        Assert.Contains("Only 3 trials for 3 hyperparameters", few.ToText());
        Assert.DoesNotContain("mostly noise", enough.ToText());
    }

    [Fact]
    public void Given_pruned_trials_When_importance_is_computed_Then_only_completed_trials_count()
    {
        var trials = Sampled(2, 20, u => u[0]);
        // Pruned trials with scores that only x1 would explain: if they counted, x1 would matter.
        trials.AddRange(Sampled(2, 20, u => 100 * u[1], seed: 2).Select(t => t with { Id = t.Id + 20, Status = TrialStatus.Pruned }));

        var report = HyperparameterImportance.Compute(Study(Cube(2)), trials);

        Assert.Equal(20, report.TrialsUsed);
        Assert.True(report.Importances[0] is { Name: "x0", Importance: > 0.9 }, report.ToText());
    }

    [Fact]
    public void Given_a_rung_When_importance_is_computed_Then_completed_and_pruned_trials_count_with_their_values_there()
    {
        var random = new Random(6);
        var trials = Enumerable.Range(0, 30).Select(i =>
        {
            var u = new[] { random.NextDouble(), random.NextDouble() };
            var status = i % 3 == 0 ? TrialStatus.Completed : TrialStatus.Pruned;
            // At rung 0 the score follows x1; the final scores of the completed ones follow x0.
            return Trial(i, u, status == TrialStatus.Completed ? u[0] : 0, status) with { Rungs = [new RungValue(0, 1.0 / 9, 10 * u[1])] };
        }).ToList();

        var report = HyperparameterImportance.Compute(Study(Cube(2)), trials, rung: 0);

        Assert.Equal(30, report.TrialsUsed);
        Assert.Equal("x1", report.Importances[0].Name);
        Assert.Contains("rung 0 (0.111 epochs)", report.Basis);
    }

    [Fact]
    public void Given_a_rung_reached_after_different_epochs_When_importance_is_computed_Then_it_is_an_error_naming_the_rung()
    {
        var trials = new[]
        {
            Trial(0, [0.2], 1) with { Rungs = [new RungValue(1, 3, 0.5)] },
            Trial(1, [0.8], 2) with { Rungs = [new RungValue(1, 9, 0.7)] },
        };

        var error = Assert.Throws<ArgumentException>(() => HyperparameterImportance.Compute(Study(Cube(1)), trials, rung: 1));

        Assert.Contains("rung 1", error.Message);
        Assert.Contains("3, 9", error.Message);
    }

    [Fact]
    public void Given_fewer_than_two_completed_trials_When_importance_is_computed_Then_the_error_names_the_study_and_its_trials()
    {
        TrialRecord[] trials = [Trial(0, [0.3, 0.4], 0.9), Trial(1, [0.6, 0.1], 0.5, TrialStatus.Pruned), Trial(2, [0.1, 0.1], null, TrialStatus.Failed)];

        var error = Assert.Throws<NotEnoughTrialsException>(() => HyperparameterImportance.Compute(Study(Cube(2), "tiny"), trials));

        Assert.Contains("study 'tiny'", error.Message);
        Assert.Contains("at least 2 usable trials, and it has 1", error.Message);
        Assert.Contains("of 3 trials (1 completed, 1 pruned, 1 failed)", error.Message);
    }

    [Fact]
    public void Given_trials_that_all_score_the_same_When_importance_is_computed_Then_the_error_says_no_hyperparameter_explains_them()
    {
        var trials = Sampled(2, 10, _ => 0.5);

        var error = Assert.Throws<NotEnoughTrialsException>(() => HyperparameterImportance.Compute(Study(Cube(2), "flat"), trials));

        Assert.Contains("study 'flat'", error.Message);
        Assert.Contains("no hyperparameter explains", error.Message);
    }

    [Fact]
    public void Given_an_inactive_conditional_hyperparameter_When_importance_is_computed_Then_the_surrogate_sees_it_at_its_defaults_place()
    {
        var hp = new HyperParameters();
        hp.Int("layers", 1, 2);
        using (hp.ConditionalScope("layers", 2)) hp.Int("units_2", 1, 4, defaultValue: 1);
        var space = new SearchSpace(hp.Declared.ToList());
        var random = new Random(9);
        // Only units_2's raw coordinate varies the score, and only in trials where it is inactive:
        // seen at its default's place, it cannot explain anything.
        var trials = Enumerable.Range(0, 40).Select(i =>
        {
            var unit = new[] { 0.25, random.NextDouble() }; // layers = 1: units_2 inactive
            return Trial(i, unit, i % 2 == 0 ? 1.0 : 2.0, space: space);
        }).ToList();

        var usable = HyperparameterImportance.Usable(trials);
        var error = Assert.Throws<NotEnoughTrialsException>(() => HyperparameterImportance.Compute(new StudyDefinition("cond", space.Parameters, TuningObjective.ValLoss), trials));

        Assert.All(usable, u => Assert.Equal(space.Canonical(u.Trial.Unit), new[] { 0.25, space.Parameters[1].ToUnit(1) }));
        Assert.Contains("no hyperparameter explains", error.Message);
    }
}
