using Mnist.Core.Model;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>A constraint on the search space: the oracles propose only configurations that meet it.</summary>
public sealed class SpaceConstraintTests
{
    /// <summary>Branin with only x1 ≤ 0 allowed: the global minimum at (-π, 12.275) is inside, the other two are not.</summary>
    private static readonly SearchSpace LeftBranin = new(TestFunctions.BraninSpace.Parameters)
    {
        Constraint = new SpaceConstraint("x1 at most 0", v => v["x1"] <= 0),
    };

    [Fact]
    public void Given_a_constraint_When_the_random_oracle_suggests_Then_every_point_meets_it()
    {
        var oracle = new RandomOracle(LeftBranin);
        var rng = new Random(4);

        var points = Enumerable.Range(0, 200).Select(_ => oracle.Suggest([], rng)).ToList();

        Assert.All(points, p => Assert.True(LeftBranin.FromUnit(p)["x1"] <= 0));
    }

    [Fact]
    public void Given_a_constraint_When_the_bayesian_oracle_searches_branin_Then_every_point_meets_it_and_its_median_best_beats_random_search_under_it()
    {
        var suggested = new List<double>();
        double Branin(IReadOnlyDictionary<string, double> p)
        {
            suggested.Add(p["x1"]);
            return TestFunctions.Branin(p);
        }

        var seeds = new[] { 1, 2, 3, 4, 5 };
        var bayes = seeds.Select(s => TestFunctions.BestAfter(new BayesianOracle(LeftBranin), LeftBranin, Branin, 30, s)).ToList();
        var random = seeds.Select(s => TestFunctions.BestAfter(new RandomOracle(LeftBranin), LeftBranin, Branin, 30, s)).ToList();

        Assert.All(suggested, x1 => Assert.True(x1 <= 0, $"x1 = {x1}"));
        Assert.True(TestFunctions.Median(bayes) < TestFunctions.Median(random), $"bayes {string.Join(", ", bayes)} against random {string.Join(", ", random)} (0.398 at x1 = -π)");
    }

    [Fact]
    public void Given_a_constraint_no_configuration_meets_When_suggesting_Then_the_error_names_it()
    {
        var space = new SearchSpace(TestFunctions.BraninSpace.Parameters) { Constraint = new SpaceConstraint("x1 below -5", v => v["x1"] < -5) };

        var e = Assert.Throws<InvalidOperationException>(() => new RandomOracle(space).Suggest([], new Random(1)));

        Assert.Contains("meets the constraint (x1 below -5)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_space_without_a_constraint_finds_every_point_feasible()
    {
        Assert.True(TestFunctions.BraninSpace.IsFeasible([0.9, 0.9]));
        Assert.False(LeftBranin.IsFeasible([0.9, 0.9]));
        Assert.True(LeftBranin.IsFeasible([0.1, 0.9]));
    }

    [Fact]
    public void Given_configurations_of_the_seed_space_When_their_multiply_adds_are_counted_from_the_configuration_Then_they_match_the_summary_of_the_built_network()
    {
        var space = ModelBuilder.SeedSearchSpace();
        var rng = new Random(8);
        var configs = new List<ModelConfig> { ModelConfig.Seed, ModelConfig.Seed with { ConvLayersPerBlock = 2 } };
        for (var i = 0; i < 6; i++)
        {
            configs.Add(ModelBuilder.Configure(new HyperParameters(space.Configuration(Enumerable.Range(0, space.Dimensions).Select(_ => rng.NextDouble()).ToArray()))));
        }

        Assert.All(configs, c => Assert.Equal(ModelSummary.For(c).TotalMultAdds, ModelBuilder.MultAdds(c)));
        Assert.Equal(4_643_840, ModelBuilder.MultAdds(ModelConfig.Seed));
    }

    [Fact]
    public void Given_a_multiply_adds_budget_Then_the_seed_model_meets_it_above_its_cost_and_not_below()
    {
        var seed = ModelBuilder.SeedSearchSpace().Defaults();

        Assert.True(ModelBuilder.MultAddsBudget(4_643_840).Holds(seed));
        Assert.False(ModelBuilder.MultAddsBudget(4_643_839).Holds(seed));
        Assert.Equal("at most 25,000,000 multiply-adds per image", ModelBuilder.MultAddsBudget(25_000_000).Description);
    }
}
