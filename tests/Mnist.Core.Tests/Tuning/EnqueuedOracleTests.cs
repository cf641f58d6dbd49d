using Mnist.Core.Model;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>Optuna's enqueue_trial: given configurations first, each once, then the oracle's own.</summary>
public sealed class EnqueuedOracleTests
{
    private static readonly SearchSpace Space = ModelBuilder.SeedSearchSpace();

    /// <summary>An oracle that always proposes the same point, to tell its proposals apart.</summary>
    private sealed class Fixed(double[] point) : IOracle
    {
        public string Name => "fixed";

        public double[] Suggest(IReadOnlyList<Observation> history, Random rng) => point;
    }

    private static readonly double[] InnerPoint = Space.Canonical(Space.Parameters.Select(_ => 0.9).ToArray());

    private static EnqueuedOracle Oracle(params IReadOnlyDictionary<string, double>[] configurations) =>
        new(new Fixed(InnerPoint), Space, configurations.Select((c, i) => Space.Point(c, $"configuration {i}")).ToList());

    [Fact]
    public void Given_the_defaults_enqueued_When_the_first_trial_is_proposed_Then_it_is_the_seed_model()
    {
        var point = Oracle(new Dictionary<string, double>()).Suggest([], new Random(1));

        Assert.Equal(ModelConfig.Seed.ToString(), ModelBuilder.Configure(new HyperParameters(Space.FromUnit(point))).ToString());
    }

    [Fact]
    public void Given_two_enqueued_configurations_When_trials_are_proposed_Then_they_come_in_order_and_then_the_oracles_own()
    {
        var oracle = Oracle(new Dictionary<string, double>(), new Dictionary<string, double> { ["conv1_filters"] = 64 });
        var history = new List<Observation>();

        var first = oracle.Suggest(history, new Random(1));
        history.Add(new Observation(first, -0.99));
        var second = oracle.Suggest(history, new Random(1));
        history.Add(new Observation(second, null));
        var third = oracle.Suggest(history, new Random(1));

        Assert.Equal((32, 64), ((int)Space.FromUnit(first)["conv1_filters"], (int)Space.FromUnit(second)["conv1_filters"]));
        Assert.Equal(InnerPoint, third);
    }

    [Fact]
    public void Given_an_enqueued_configuration_already_tried_with_other_inactive_values_When_proposing_Then_it_is_not_proposed_again()
    {
        var oracle = Oracle(new Dictionary<string, double>());
        // The seed's model with dense_3_units changed: dense_layers = 1 leaves that layer out, so it is the same configuration.
        var tried = Space.ToUnit(new Dictionary<string, double> { ["dense_3_units"] = 512 });

        Assert.Equal(InnerPoint, oracle.Suggest([new Observation(tried, -0.99)], new Random(1)));
    }

    [Fact]
    public void Given_an_unknown_hyperparameter_When_a_configuration_is_read_Then_the_error_names_it_and_where_it_came_from()
    {
        var e = Assert.Throws<ArgumentException>(() => Space.Point(new Dictionary<string, double> { ["conv3_filters"] = 64 }, "seed.json"));

        Assert.Contains("seed.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("'conv3_filters'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_value_outside_its_range_When_a_configuration_is_read_Then_the_error_names_the_hyperparameter_and_its_range()
    {
        var e = Assert.Throws<ArgumentException>(() => Space.Point(new Dictionary<string, double> { ["conv1_filters"] = 40 }, "mine.json"));

        Assert.Contains("mine.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("conv1_filters = 40", e.Message, StringComparison.Ordinal);
    }
}
