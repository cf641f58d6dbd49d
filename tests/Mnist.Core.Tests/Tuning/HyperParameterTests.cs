using Mnist.Core.Model;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

public sealed class HyperParameterTests
{
    [Fact]
    public void Given_every_value_of_an_integer_with_a_step_When_encoded_and_decoded_Then_it_comes_back()
    {
        var p = new IntParameter("filters", 32, 128, 16);

        for (var v = 32; v <= 128; v += 16) Assert.Equal(v, p.FromUnit(p.ToUnit(v)));
        Assert.Equal(7, p.Count);
    }

    [Fact]
    public void Given_the_unit_interval_When_decoding_an_integer_Then_each_value_gets_an_equal_bucket()
    {
        var p = new IntParameter("layers", 1, 3);

        Assert.Equal([1, 1, 2, 2, 3, 3], new[] { 0.0, 0.33, 0.34, 0.66, 0.67, 1.0 }.Select(p.FromUnit));
        Assert.Equal(0.5, p.ToUnit(2), 10);
    }

    [Fact]
    public void Given_a_log_scaled_float_When_encoded_Then_decades_are_equally_spaced_and_values_come_back()
    {
        var p = new FloatParameter("lr", 1e-4, 1e-2, Log: true);

        Assert.Equal(0.5, p.ToUnit(1e-3), 10);
        foreach (var v in new[] { 1e-4, 3e-4, 1e-3, 5e-3, 1e-2 }) Assert.Equal(v, p.FromUnit(p.ToUnit(v)), 12);
    }

    [Fact]
    public void Given_a_float_with_a_step_When_any_unit_value_is_decoded_Then_it_is_on_the_grid_and_round_trips()
    {
        var p = new FloatParameter("dropout", 0.1, 0.5, Step: 0.1);
        var rng = new Random(1);

        for (var i = 0; i < 200; i++)
        {
            var v = p.FromUnit(rng.NextDouble());
            Assert.Contains(v, new[] { 0.1, 0.2, 0.3, 0.4, 0.5 });
            Assert.Equal(v, p.FromUnit(p.ToUnit(v)));
        }
    }

    [Fact]
    public void Given_a_choice_When_encoded_and_decoded_Then_the_index_comes_back_and_formats_as_its_name()
    {
        var p = new ChoiceParameter("activation", ["relu", "selu", "gelu"]);

        for (var i = 0; i < 3; i++) Assert.Equal(i, p.FromUnit(p.ToUnit(i)));
        Assert.Equal("gelu", p.Format(p.FromUnit(0.99)));
    }

    [Fact]
    public void Given_a_value_off_the_grid_When_checked_Then_the_error_names_the_parameter_and_its_range()
    {
        var e = Assert.Throws<ArgumentException>(() => new IntParameter("conv1_filters", 32, 128, 16).Check(40));

        Assert.Contains("conv1_filters = 40", e.Message);
        Assert.Contains("32..128 step 16", e.Message);
    }

    [Fact]
    public void Given_the_seed_build_function_When_its_space_is_declared_Then_it_has_the_seed_ranges_and_one_or_two_convolutions_per_block_in_11_dimensions()
    {
        var space = ModelBuilder.SeedSearchSpace();

        Assert.Equal(
            ["conv1_filters", "conv2_filters", "conv_layers_per_block", "dense_layers", "dense_1_units", "dense_1_dropout", "dense_2_units", "dense_2_dropout", "dense_3_units", "dense_3_dropout", "learning_rate"],
            space.Parameters.Select(p => p.Name));
        Assert.Equal(new IntParameter("conv1_filters", 32, 128, 16, 32), space.Parameters[0]);
        Assert.Equal(new IntParameter("conv_layers_per_block", 1, 2, 1, 1), space.Parameters[2]);
        Assert.Equal(new FloatParameter("learning_rate", 1e-4, 1e-2, true, null, 1e-3), space.Parameters[^1]);
    }

    [Fact]
    public void A_configuration_with_two_convolutions_per_block_builds_that_network()
    {
        var config = ModelBuilder.Configure(new HyperParameters(new Dictionary<string, double> { ["conv_layers_per_block"] = 2 }));

        Assert.Equal(ModelConfig.Seed with { ConvLayersPerBlock = 2 }, config);
    }

    [Fact]
    public void The_search_space_without_conv_layers_per_block_is_an_earlier_form_of_it_and_any_other_space_is_not()
    {
        var today = ModelBuilder.SeedSearchSpace().Parameters;
        var before = today.Where(p => p.Name != "conv_layers_per_block").ToArray();

        Assert.True(ModelBuilder.IsEarlierSearchSpace(before));
        Assert.False(ModelBuilder.IsEarlierSearchSpace(today)); // today's is today's, not an earlier one
        Assert.False(ModelBuilder.IsEarlierSearchSpace(before.Where(p => p.Name != "learning_rate").ToArray()));
        Assert.False(ModelBuilder.IsEarlierSearchSpace([.. before.Select(p => p.Name == "conv1_filters" ? new IntParameter("conv1_filters", 32, 96, 16, 32) : p)]));
    }

    [Fact]
    public void Given_the_space_defaults_When_built_Then_the_model_is_the_seed_final_model()
    {
        var config = ModelBuilder.Configure(new HyperParameters(ModelBuilder.SeedSearchSpace().Defaults()));

        Assert.Equal(ModelConfig.Seed, config);
    }

    [Fact]
    public void Given_any_point_of_the_unit_cube_When_built_Then_a_valid_model_within_the_ranges_results()
    {
        var space = ModelBuilder.SeedSearchSpace();
        var rng = new Random(3);

        for (var i = 0; i < 100; i++)
        {
            var unit = Enumerable.Range(0, space.Dimensions).Select(_ => rng.NextDouble()).ToArray();
            var config = ModelBuilder.Configure(new HyperParameters(space.FromUnit(unit)));
            config.Validate();
            Assert.InRange(config.Dense.Count, 1, 3);
            Assert.InRange(config.LearningRate, 1e-4, 1e-2);
            Assert.Equal(space.Key(unit), space.Key(space.Snap(unit)));
        }
    }
}
