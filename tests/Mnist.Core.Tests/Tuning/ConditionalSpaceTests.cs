using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// KerasTuner's conditional scopes and what they mean for comparing configurations: an inactive
/// hyperparameter counts for nothing, and a proposal that differs from a tried configuration by
/// less than the duplicate threshold in its continuous hyperparameters is the same configuration.
/// </summary>
public sealed class ConditionalSpaceTests
{
    private static readonly SearchSpace Seed = ModelBuilder.SeedSearchSpace();

    private static HyperParameter P(string name) => Seed.Parameters.Single(p => p.Name == name);

    /// <summary>The coordinate of hyperparameter <paramref name="name"/> in the seed space's unit points.</summary>
    private static int At(string name) => Seed.Parameters.ToList().FindIndex(p => p.Name == name);

    /// <summary>A unit point of the seed space: the defaults, with <paramref name="values"/> set.</summary>
    private static double[] SeedPoint(params (string Name, double Value)[] values)
    {
        var config = Seed.Defaults().ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (name, value) in values) config[name] = value;
        return Seed.ToUnit(config);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    private static Dictionary<string, double> Values(params (string Name, double Value)[] values) => values.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void Given_a_conditional_scope_When_parameters_are_declared_inside_it_Then_they_carry_its_condition_and_those_outside_do_not()
    {
        var hp = new HyperParameters();
        hp.Int("layers", 1, 3);
        using (hp.ConditionalScope("layers", 2, 3))
        {
            hp.Int("units_2", 8, 64, 8);
        }
        hp.Float("lr", 1e-4, 1e-2, log: true);

        var declared = hp.Declared.ToDictionary(p => p.Name);
        Assert.Null(declared["layers"].Conditions);
        var condition = Assert.Single(declared["units_2"].Conditions!);
        Assert.Equal("layers", condition.Parent);
        Assert.Equal([2.0, 3.0], condition.Values);
        Assert.Null(declared["lr"].Conditions);
    }

    [Fact]
    public void Given_nested_scopes_When_a_parameter_is_declared_in_the_inner_one_Then_it_carries_both_conditions()
    {
        var hp = new HyperParameters();
        hp.Int("layers", 1, 3);
        hp.Choice("kind", ["plain", "residual"]);
        using (hp.ConditionalScope("layers", 2, 3))
        {
            hp.Int("units_2", 8, 64, 8);
            using (hp.ConditionalScope("kind", 1))
            {
                hp.Float("skip_scale", 0.1, 1);
            }
            hp.Float("dropout_2", 0.1, 0.5);
        }

        var declared = hp.Declared.ToDictionary(p => p.Name);
        Assert.Equal([("layers", 2.0), ("layers", 3.0), ("kind", 1.0)],
            declared["skip_scale"].Conditions!.SelectMany(c => c.Values.Select(v => (c.Parent, v))));
        Assert.Equal(["layers"], declared["dropout_2"].Conditions!.Select(c => c.Parent));
    }

    [Fact]
    public void Given_nested_scopes_When_the_outer_parent_rules_the_inner_one_out_Then_the_inner_parameter_is_inactive_too()
    {
        var space = SearchSpace.Declare(hp =>
        {
            hp.Int("layers", 1, 3);
            using (hp.ConditionalScope("layers", 2, 3))
            {
                hp.Choice("kind", ["plain", "residual"]);
                using (hp.ConditionalScope("kind", 1)) hp.Float("skip_scale", 0.1, 1);
            }
            return 0;
        });
        var skip = space.Parameters.Single(p => p.Name == "skip_scale");

        Assert.True(space.IsActive(skip, Values(("layers", 2), ("kind", 1), ("skip_scale", 0.5))));
        Assert.False(space.IsActive(skip, Values(("layers", 2), ("kind", 0), ("skip_scale", 0.5))));
        Assert.False(space.IsActive(skip, Values(("layers", 1), ("kind", 1), ("skip_scale", 0.5))));
    }

    [Fact]
    public void Given_a_parent_not_declared_yet_When_a_scope_is_opened_on_it_Then_it_throws_naming_the_parent()
    {
        var hp = new HyperParameters();
        hp.Int("layers", 1, 3);

        var e = Assert.Throws<ArgumentException>(() => hp.ConditionalScope("dense_layers", 2));

        Assert.Contains("dense_layers", e.Message);
    }

    [Fact]
    public void Given_a_value_the_parent_cannot_take_When_a_scope_is_opened_Then_it_throws_naming_the_parent()
    {
        var hp = new HyperParameters();
        hp.Int("layers", 1, 3);

        var e = Assert.Throws<ArgumentException>(() => hp.ConditionalScope("layers", 4));

        Assert.Contains("layers", e.Message);
    }

    [Fact]
    public void Given_the_seed_space_When_its_scopes_are_read_Then_layer_2_depends_on_2_or_3_dense_layers_and_layer_3_on_3()
    {
        Assert.Null(P("dense_1_units").Conditions);
        Assert.Null(P("dense_1_dropout").Conditions);
        foreach (var name in new[] { "dense_2_units", "dense_2_dropout" })
        {
            var c = Assert.Single(P(name).Conditions!);
            Assert.Equal("dense_layers", c.Parent);
            Assert.Equal([2.0, 3.0], c.Values);
        }
        foreach (var name in new[] { "dense_3_units", "dense_3_dropout" })
        {
            var c = Assert.Single(P(name).Conditions!);
            Assert.Equal("dense_layers", c.Parent);
            Assert.Equal([3.0], c.Values);
        }
        Assert.All(new[] { "conv1_filters", "conv2_filters", "conv_layers_per_block", "dense_layers", "learning_rate" }, n => Assert.Null(P(n).Conditions));
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, true, false)]
    [InlineData(3, true, true)]
    public void Given_a_number_of_dense_layers_When_asked_which_layers_are_active_Then_only_the_layers_that_exist_are(int layers, bool second, bool third)
    {
        var values = Seed.FromUnit(SeedPoint(("dense_layers", layers)));

        Assert.True(Seed.IsActive(P("dense_1_units"), values));
        Assert.Equal((second, second), (Seed.IsActive(P("dense_2_units"), values), Seed.IsActive(P("dense_2_dropout"), values)));
        Assert.Equal((third, third), (Seed.IsActive(P("dense_3_units"), values), Seed.IsActive(P("dense_3_dropout"), values)));
        Assert.True(Seed.IsActive(P("learning_rate"), values));
    }

    [Fact]
    public void Given_one_dense_layer_When_two_points_differ_only_in_layers_2_and_3_Then_they_are_one_configuration()
    {
        var a = SeedPoint(("dense_layers", 1), ("dense_2_units", 64), ("dense_2_dropout", 0.5), ("dense_3_units", 512));
        var b = SeedPoint(("dense_layers", 1), ("dense_2_units", 448), ("dense_2_dropout", 0.1), ("dense_3_units", 128), ("dense_3_dropout", 0.4));

        Assert.Equal(Seed.Key(a), Seed.Key(b));
        Assert.True(Seed.NearDuplicate(a, b));
        Assert.True(Seed.NearDuplicate(a, b, threshold: 0));
        Assert.Equal(Seed.Configuration(a), Seed.Configuration(b));
        Assert.Equal(Seed.Canonical(a), Seed.Canonical(b));
    }

    [Fact]
    public void Given_two_dense_layers_When_two_points_differ_only_in_layer_3_Then_they_are_one_configuration_but_layer_2_counts()
    {
        var a = SeedPoint(("dense_layers", 2), ("dense_2_units", 128), ("dense_3_units", 64));
        var b = SeedPoint(("dense_layers", 2), ("dense_2_units", 128), ("dense_3_units", 512));
        var c = SeedPoint(("dense_layers", 2), ("dense_2_units", 192), ("dense_3_units", 64));

        Assert.Equal(Seed.Key(a), Seed.Key(b));
        Assert.True(Seed.NearDuplicate(a, b));
        Assert.NotEqual(Seed.Key(a), Seed.Key(c));
        Assert.False(Seed.NearDuplicate(a, c));
    }

    [Fact]
    public void Given_a_point_with_inactive_parameters_When_its_configuration_is_taken_Then_they_sit_at_their_defaults_and_active_ones_keep_their_values()
    {
        var unit = SeedPoint(("conv1_filters", 96), ("dense_layers", 2), ("dense_2_units", 448), ("dense_3_units", 128), ("dense_3_dropout", 0.4), ("learning_rate", 5e-3));

        var config = Seed.Configuration(unit);

        Assert.Equal(P("dense_3_units").Default, config["dense_3_units"]);
        Assert.Equal(P("dense_3_dropout").Default, config["dense_3_dropout"]);
        Assert.Equal((96.0, 2.0, 448.0), (config["conv1_filters"], config["dense_layers"], config["dense_2_units"]));
        Assert.Equal(5e-3, config["learning_rate"], 12);
    }

    [Fact]
    public void Given_a_point_with_inactive_parameters_When_made_canonical_Then_their_coordinates_are_their_defaults_places_and_the_rest_is_snapped()
    {
        var rng = new Random(4);
        var unit = Enumerable.Range(0, Seed.Dimensions).Select(_ => rng.NextDouble()).ToArray();
        unit[At("dense_layers")] = 0.1; // dense_layers = 1
        string[] inactive = ["dense_2_units", "dense_2_dropout", "dense_3_units", "dense_3_dropout"];

        var canonical = Seed.Canonical(unit);

        foreach (var name in inactive) Assert.Equal(P(name).ToUnit(P(name).Default), canonical[At(name)], 12);
        var snapped = Seed.Snap(unit);
        foreach (var p in Seed.Parameters.Where(p => !inactive.Contains(p.Name))) Assert.Equal(snapped[At(p.Name)], canonical[At(p.Name)], 12);
        AssertClose(canonical, Seed.Canonical(canonical));
        Assert.Equal(Seed.Key(unit), Seed.Key(canonical));
    }

    [Theory]
    [InlineData(5.9e-3, 5.1e-3)] // the issue's pair: the same network, learning rates 14% apart
    [InlineData(5.2e-3, 5.0e-3)] // 4% apart
    [InlineData(1.2e-3, 1.0e-3)]
    public void Given_the_same_network_When_learning_rates_are_close_on_the_log_scale_Then_the_configurations_are_near_duplicates(double lr1, double lr2)
    {
        var a = SeedPoint(("conv1_filters", 64), ("dense_layers", 2), ("learning_rate", lr1));
        var b = SeedPoint(("conv1_filters", 64), ("dense_layers", 2), ("learning_rate", lr2));

        Assert.True(Seed.NearDuplicate(a, b), $"lr {lr1} vs {lr2}: {Math.Abs(a[At("learning_rate")] - b[At("learning_rate")])} apart in the unit cube");
        Assert.True(Seed.NearDuplicate(b, a));
        Assert.NotEqual(Seed.Key(a), Seed.Key(b)); // not the same key: only near
    }

    [Theory]
    [InlineData(2e-3, 1e-3)]
    [InlineData(1.3e-3, 1e-3)] // just beyond the default threshold (a factor of 1.26)
    [InlineData(1e-2, 1e-4)]
    public void Given_the_same_network_When_learning_rates_are_far_apart_Then_the_configurations_are_not_near_duplicates(double lr1, double lr2)
    {
        var a = SeedPoint(("learning_rate", lr1));
        var b = SeedPoint(("learning_rate", lr2));

        Assert.False(Seed.NearDuplicate(a, b), $"lr {lr1} vs {lr2}: {Math.Abs(a[At("learning_rate")] - b[At("learning_rate")])} apart in the unit cube");
    }

    [Fact]
    public void Given_a_smaller_threshold_When_the_issues_learning_rates_are_compared_Then_they_are_no_longer_near_duplicates()
    {
        var a = SeedPoint(("learning_rate", 5.9e-3));
        var b = SeedPoint(("learning_rate", 5.1e-3));

        Assert.True(Seed.NearDuplicate(a, b, SearchSpace.DefaultDuplicateThreshold));
        Assert.False(Seed.NearDuplicate(a, b, threshold: 0.01));
    }

    [Theory]
    [InlineData("conv1_filters", 32, 48)]
    [InlineData("conv2_filters", 64, 96)]
    [InlineData("dense_1_units", 256, 320)]
    [InlineData("dense_1_dropout", 0.2, 0.3)]
    public void Given_a_different_discrete_value_When_the_learning_rate_is_equal_Then_the_configurations_are_never_near_duplicates(string name, double v1, double v2)
    {
        var a = SeedPoint((name, v1), ("learning_rate", 3e-3));
        var b = SeedPoint((name, v2), ("learning_rate", 3e-3));

        Assert.False(Seed.NearDuplicate(a, b));
        Assert.False(Seed.NearDuplicate(a, b, threshold: 1));
    }

    [Fact]
    public void Given_one_and_two_dense_layers_When_everything_else_is_equal_Then_the_active_sets_differ_and_they_are_not_near_duplicates()
    {
        var a = SeedPoint(("dense_layers", 1));
        var b = SeedPoint(("dense_layers", 2));

        Assert.False(Seed.NearDuplicate(a, b));
        Assert.False(Seed.NearDuplicate(a, b, threshold: 1));
        Assert.NotEqual(Seed.Key(a), Seed.Key(b));
    }

    [Fact]
    public void Given_a_configuration_When_compared_with_itself_Then_it_is_a_near_duplicate_at_threshold_zero()
    {
        var a = SeedPoint(("dense_layers", 3), ("learning_rate", 7e-4));

        Assert.True(Seed.NearDuplicate(a, a, threshold: 0));
    }

    [Fact]
    public void Given_the_seed_space_When_its_parameters_go_through_json_Then_the_conditions_come_back()
    {
        var json = Json.Serialize(Seed.Parameters);

        var back = Json.Deserialize<List<HyperParameter>>(json, "space.json");

        var original = new StudyDefinition("seed", Seed.Parameters, TuningObjective.ValAccuracy);
        var restored = new StudyDefinition("seed", back, TuningObjective.ValAccuracy);
        Assert.Equal(original.SpaceJson, restored.SpaceJson);
        Assert.Contains("dense_layers", original.SpaceJson);
        var c = Assert.Single(back.Single(p => p.Name == "dense_3_units").Conditions!);
        Assert.Equal("dense_layers", c.Parent);
        Assert.Equal([3.0], c.Values);
        Assert.Null(back.Single(p => p.Name == "dense_1_units").Conditions);
        var space = new SearchSpace(back);
        foreach (var layers in new[] { 1, 2, 3 })
        {
            var values = Seed.FromUnit(SeedPoint(("dense_layers", layers)));
            Assert.Equal(Seed.Parameters.Select(p => Seed.IsActive(p, values)), space.Parameters.Select(p => space.IsActive(p, values)));
        }
    }

    [Fact]
    public void Given_a_study_of_the_seed_space_When_reopened_from_its_file_Then_the_conditions_are_stored_and_it_matches_the_space_asked_for()
    {
        using var dir = new TempDir();
        var definition = new StudyDefinition("seed", Seed.Parameters, TuningObjective.ValAccuracy, "mnist");
        using (var store = new SqliteStudyStore(dir.File("seed.db"))) store.OpenOrCreate(definition);

        using var reopened = SqliteStudyStore.OpenExisting(dir.File("seed.db"));

        Assert.Equal(definition.SpaceJson, reopened.Definition.SpaceJson);
        Assert.Equal(["dense_layers"], reopened.Definition.Space.Single(p => p.Name == "dense_2_dropout").Conditions!.Select(c => c.Parent));
        reopened.Definition.CheckSameAs(definition, "seed.db"); // does not throw
        using var again = new SqliteStudyStore(dir.File("seed.db"));
        again.OpenOrCreate(definition); // does not throw
    }

    [Fact]
    public void Given_a_space_without_conditions_and_one_with_When_their_studies_are_compared_Then_they_differ()
    {
        var unconditional = Seed.Parameters.Select(p => p with { Conditions = null }).ToList();
        var withConditions = new StudyDefinition("seed", Seed.Parameters, TuningObjective.ValAccuracy);

        Assert.Throws<StudyMismatchException>(() => withConditions.CheckSameAs(withConditions with { Space = unconditional }, "seed.db"));
    }

    [Fact]
    public void Given_a_study_stored_without_conditions_When_reopened_with_the_conditional_space_Then_the_message_shows_how_the_spaces_differ()
    {
        var stored = new StudyDefinition("seed", Seed.Parameters.Select(p => p with { Conditions = null }).ToList(), TuningObjective.ValAccuracy);

        var e = Assert.Throws<StudyMismatchException>(() => stored.CheckSameAs(stored with { Space = Seed.Parameters }, "seed.db"));

        const string Is = "its space is [", Not = "], not [";
        var from = e.Message.IndexOf(Is, StringComparison.Ordinal) + Is.Length;
        var middle = e.Message.IndexOf(Not, from, StringComparison.Ordinal);
        var end = e.Message.LastIndexOf("]. ", StringComparison.Ordinal); // the space is the last problem named
        Assert.True(from >= Is.Length && middle > from && end > middle, e.Message);
        var storedSpace = e.Message[from..middle];
        var askedSpace = e.Message[(middle + Not.Length)..end];
        Assert.True(storedSpace != askedSpace,
            "the spaces differ only in their conditional scopes, but the message describes both alike (HyperParameter.Describe leaves the conditions out), " +
            $"so it does not say what differs: {e.Message}");
    }

    [Fact]
    public void Given_a_history_on_the_seed_space_When_the_bayesian_oracle_proposes_Then_inactive_dimensions_sit_at_their_defaults_and_no_proposal_is_a_near_duplicate()
    {
        var oracle = new BayesianOracle(Seed, new BayesianOptions { InitialPoints = 4, RandomCandidates = 300, KernelRestarts = 1 });
        var history = new List<Observation>();
        var rng = new Random(9);

        for (var i = 0; i < 12; i++)
        {
            var u = oracle.Suggest(history, rng);
            AssertClose(Seed.Canonical(u), u);
            Assert.DoesNotContain(history, h => Seed.NearDuplicate(h.Unit, u));
            var config = Seed.FromUnit(u);
            history.Add(new Observation(u, Math.Abs(Math.Log10(config["learning_rate"]) + 3) + config["dense_layers"] / 10));
        }
    }
}
