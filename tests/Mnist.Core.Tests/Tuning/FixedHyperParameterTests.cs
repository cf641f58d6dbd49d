using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>KerasTuner's hp.Fixed: a hyperparameter of the space held at one value for a whole study.</summary>
public sealed class FixedHyperParameterTests
{
    private static readonly SearchSpace Seed = ModelBuilder.SeedSearchSpace();

    private static SearchSpace OneConv() => Seed.WithFixed(new Dictionary<string, double> { ["conv_layers_per_block"] = 1 }, "test");

    [Fact]
    public void Given_a_fixed_hyperparameter_When_any_unit_value_is_decoded_Then_it_is_the_fixed_value()
    {
        var p = new FixedParameter("conv_layers_per_block", 2, "2");

        Assert.All(new[] { 0.0, 0.3, 0.5, 0.99, 1.0 }, u => Assert.Equal(2, p.FromUnit(u)));
        Assert.Equal(0.5, p.ToUnit(2));
        Assert.Equal(2, p.Default);
    }

    [Fact]
    public void Given_a_fixed_hyperparameter_When_another_value_is_checked_Then_the_error_names_it_and_its_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new FixedParameter("conv_layers_per_block", 1, "1").Check(2));

        Assert.Contains("conv_layers_per_block = 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("fixed at 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_the_seed_space_with_one_hyperparameter_fixed_Then_it_takes_that_place_and_every_configuration_carries_its_value()
    {
        var space = Seed.WithFixed(new Dictionary<string, double> { ["conv_layers_per_block"] = 2 }, "test");
        var rng = new Random(3);

        Assert.Equal(Seed.Parameters.Select(p => p.Name), space.Parameters.Select(p => p.Name));
        Assert.Equal(new FixedParameter("conv_layers_per_block", 2, "2"), Assert.Single(space.Fixed));
        for (var i = 0; i < 50; i++)
        {
            var values = space.Configuration(Enumerable.Range(0, space.Dimensions).Select(_ => rng.NextDouble()).ToArray());
            Assert.Equal(2, values["conv_layers_per_block"]);
            Assert.Equal(2, ModelBuilder.Configure(new HyperParameters(values)).ConvLayersPerBlock);
        }
        Assert.Equal(2, space.Defaults()["conv_layers_per_block"]);
    }

    [Fact]
    public void Given_a_conditional_hyperparameter_fixed_Then_it_keeps_its_conditions()
    {
        var space = Seed.WithFixed(new Dictionary<string, double> { ["dense_2_units"] = 128 }, "test");

        var fixedUnits = Assert.Single(space.Fixed);
        Assert.Equal(Seed.Parameters.Single(p => p.Name == "dense_2_units").Conditions, fixedUnits.Conditions);
        Assert.False(space.IsActive(fixedUnits, new Dictionary<string, double> { ["dense_layers"] = 1, ["dense_2_units"] = 128 }));
    }

    [Fact]
    public void Given_an_unknown_name_When_fixed_Then_the_error_names_it_the_source_and_the_space()
    {
        var e = Assert.Throws<ArgumentException>(() => Seed.WithFixed(new Dictionary<string, double> { ["conv_layers"] = 1 }, "fixed hyperparameters"));

        Assert.Contains("fixed hyperparameters: hyperparameter 'conv_layers' is not in the space", e.Message, StringComparison.Ordinal);
        Assert.Contains("conv_layers_per_block", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_value_out_of_its_range_When_fixed_Then_the_error_names_the_parameter_and_its_range()
    {
        var e = Assert.Throws<ArgumentException>(() => Seed.WithFixed(new Dictionary<string, double> { ["conv_layers_per_block"] = 3 }, "fixed hyperparameters"));

        Assert.Contains("fixed hyperparameters: hyperparameter conv_layers_per_block = 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("int 1..2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_space_with_a_fixed_hyperparameter_When_stored_as_json_Then_it_reads_back_equal()
    {
        var space = OneConv();

        var read = Json.Deserialize<List<HyperParameter>>(Json.Serialize<IReadOnlyList<HyperParameter>>(space.Parameters, indented: false), "space");

        Assert.Equal(Json.Serialize<IReadOnlyList<HyperParameter>>(space.Parameters, indented: false), Json.Serialize<IReadOnlyList<HyperParameter>>(read, indented: false));
        Assert.IsType<FixedParameter>(read.Single(p => p.Name == "conv_layers_per_block"));
    }

    [Fact]
    public void Given_an_enqueued_configuration_against_a_fixed_value_When_placed_in_the_space_Then_the_error_names_it()
    {
        var e = Assert.Throws<ArgumentException>(() => OneConv().Point(new Dictionary<string, double> { ["conv_layers_per_block"] = 2 }, "enqueued configuration 1"));

        Assert.Contains("enqueued configuration 1: hyperparameter conv_layers_per_block = 2: not a value of fixed at 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_seed_space_with_hyperparameters_fixed_is_one_a_worker_that_fixes_nothing_goes_on_in_and_others_are_not()
    {
        var earlierFixed = OneConv().Parameters.Where(p => p.Name != "conv_layers_per_block").Select(p => p.Name == "learning_rate" ? new FixedParameter(p.Name, 0.001, "0.001") : p).ToArray();

        Assert.True(ModelBuilder.IsFixedSearchSpace(OneConv().Parameters));
        Assert.True(ModelBuilder.IsFixedSearchSpace(earlierFixed)); // an earlier space, with the learning rate fixed
        Assert.False(ModelBuilder.IsFixedSearchSpace(Seed.Parameters)); // nothing fixed: today's space itself
        Assert.False(ModelBuilder.IsFixedSearchSpace([.. OneConv().Parameters.Select(p => p.Name == "conv1_filters" ? new IntParameter("conv1_filters", 32, 96, 16, 32) : p)]));
        Assert.False(ModelBuilder.IsFixedSearchSpace([.. Seed.Parameters, new FixedParameter("momentum", 0.9, "0.9")]));
    }

    [Fact]
    public void Given_branin_with_a_third_dimension_fixed_When_searched_by_the_bayesian_oracle_Then_every_point_holds_it_and_the_median_best_is_as_near_the_minimum()
    {
        var space = new SearchSpace([.. TestFunctions.BraninSpace.Parameters, new FixedParameter("x3", 7, "7")]);
        double Branin(IReadOnlyDictionary<string, double> p)
        {
            Assert.Equal(7, p["x3"]);
            return TestFunctions.Branin(p);
        }

        var best = new[] { 1, 2, 3, 4, 5 }.Select(s => TestFunctions.BestAfter(new BayesianOracle(space), space, Branin, 30, s)).ToList();

        Assert.True(TestFunctions.Median(best) < 0.5, $"median best {TestFunctions.Median(best):F3} of {string.Join(", ", best)} (the minimum is 0.398)");
    }

    [Fact]
    public void Given_trials_of_a_space_with_a_fixed_hyperparameter_When_importance_is_fitted_Then_it_is_left_out_and_the_others_share_it_all()
    {
        var space = new SearchSpace([new FloatParameter("x", 0, 1), new FloatParameter("y", 0, 1), new FixedParameter("z", 3, "3")]);
        var rng = new Random(11);
        var trials = Enumerable.Range(0, 40).Select(i =>
        {
            var unit = new[] { rng.NextDouble(), rng.NextDouble(), 0.5 };
            var v = space.FromUnit(unit);
            return (new TrialRecord(i, TrialStatus.Completed, v, unit, 0, 1, null, null, null, null, null, 1, 1), Score: 3 * v["x"] + 0.3 * v["y"]);
        }).ToList();

        var (importances, _) = HyperparameterImportance.Fit(space, trials) ?? throw new InvalidOperationException("no fit");

        Assert.Equal(["x", "y"], importances.Select(p => p.Name));
        Assert.Equal(1, importances.Sum(p => p.Importance), 6);
    }
}
