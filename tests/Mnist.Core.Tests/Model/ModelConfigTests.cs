using Mnist.Core.Infrastructure;
using Mnist.Core.Model;

namespace Mnist.Core.Tests.Model;

/// <summary>A configuration is a value: equal hyperparameters make equal configurations, dense layers included.</summary>
public sealed class ModelConfigTests
{
    [Fact]
    public void Given_two_configurations_with_equal_dense_layers_in_distinct_lists_When_compared_Then_they_are_equal_with_equal_hashes()
    {
        var a = ModelConfig.Seed with { Dense = [new DenseLayerConfig(128, "selu", 0.3), new DenseLayerConfig(64)] };
        var b = ModelConfig.Seed with { Dense = [new DenseLayerConfig(128, "selu", 0.3), new DenseLayerConfig(64)] };

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void Given_configurations_that_differ_in_one_dense_layer_or_one_field_When_compared_Then_they_differ()
    {
        Assert.NotEqual(ModelConfig.Seed, ModelConfig.Seed with { Dense = [new DenseLayerConfig(256, "selu", 0.3)] });
        Assert.NotEqual(ModelConfig.Seed, ModelConfig.Seed with { Dense = [.. ModelConfig.Seed.Dense, new DenseLayerConfig(64)] });
        Assert.NotEqual(ModelConfig.Seed, ModelConfig.Seed with { BatchNormMomentum = 0.01 });
    }

    [Fact]
    public void Given_a_configuration_When_written_as_json_and_read_back_Then_it_is_equal()
    {
        var config = ModelConfig.Seed with { Conv1Filters = 48, Dense = [new DenseLayerConfig(320), new DenseLayerConfig(192, "relu", 0.4)] };

        Assert.Equal(config, Json.Deserialize<ModelConfig>(Json.Serialize(config), "test"));
    }
}
