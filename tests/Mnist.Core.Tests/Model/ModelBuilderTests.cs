using Mnist.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Model;

public sealed class ModelBuilderTests
{
    [Fact]
    public void Given_the_seed_configuration_When_built_Then_it_has_825162_trainable_parameters()
    {
        var summary = ModelSummary.For(ModelConfig.Seed);

        Assert.Equal(825_162, summary.TotalParams);
        Assert.Equal(825_162, summary.TrainableParams);
        Assert.Equal(2 * (32 + 64 + 256), summary.NonTrainableBuffers);
    }

    [Fact]
    public void Given_the_seed_configuration_When_summarised_Then_each_layer_has_the_seed_shape_and_parameter_count()
    {
        var rows = ModelSummary.For(ModelConfig.Seed).Layers
            .Select(l => (l.Name, l.Activation, Shape: string.Join('x', l.OutputShape), l.Params, l.Buffers)).ToList();

        (string, string?, string, long, long)[] expected =
        [
            ("conv2d_1", "relu", "32x28x28", 288 + 32, 0),
            ("max_pooling2d_1", null, "32x14x14", 0, 0),
            ("batch_normalization_1", null, "32x14x14", 32 + 32, 32 + 32),
            ("conv2d_2", "relu", "64x14x14", 18_432 + 64, 0),
            ("max_pooling2d_2", null, "64x7x7", 0, 0),
            ("batch_normalization_2", null, "64x7x7", 64 + 64, 64 + 64),
            ("flatten", null, "3136", 0, 0),
            ("dense_1", "selu", "256", 802_816 + 256, 0),
            ("dropout_1", null, "256", 0, 0),
            ("batch_normalization_3", null, "256", 256 + 256, 256 + 256),
            ("dense_2", "log_softmax", "10", 2_560 + 10, 0),
        ];
        Assert.Equal(expected, rows);
    }

    [Fact]
    public void Given_the_seed_configuration_When_summarised_Then_its_multiply_adds_are_each_kernel_at_every_output_position_and_each_matrix_once()
    {
        var summary = ModelSummary.For(ModelConfig.Seed);

        var conv1 = 288L * 28 * 28;
        var conv2 = 18_432L * 14 * 14;
        Assert.Equal([conv1, conv2, 802_816L, 2_560L], summary.Layers.Where(l => l.MultAdds > 0).Select(l => l.MultAdds));
        Assert.Equal(conv1 + conv2 + 802_816 + 2_560, summary.TotalMultAdds); // 4.64 million
        Assert.Contains("Multiply-adds per image (convolutions and dense layers): 4,643,840 (4.6 M)", summary.ToText(), StringComparison.Ordinal);
    }

    [Fact]
    public void Given_other_hyperparameters_When_built_Then_sizes_are_computed_from_them()
    {
        var config = ModelConfig.Seed with
        {
            Conv1Filters = 48,
            Conv2Filters = 100,
            Dense = [new(128, "selu", 0.3), new(64, "relu", 0.1), new(200, "selu", 0.5)],
        };

        var summary = ModelSummary.For(config);

        var flatten = 100 * 7 * 7;
        var expected = (9 * 48 + 48) + 2 * 48 + (9 * 48 * 100 + 100) + 2 * 100
                       + (flatten * 128 + 128) + 2 * 128 + (128 * 64 + 64) + 2 * 64 + (64 * 200 + 200) + 2 * 200 + (200 * 10 + 10);
        Assert.Equal(expected, summary.TotalParams);
        Assert.Equal(["dense_1", "dense_2", "dense_3", "dense_4"], summary.Layers.Where(l => l.Type == "Linear").Select(l => l.Name));
    }

    [Fact]
    public void Given_two_conv_layers_per_block_When_summarised_Then_each_block_stacks_two_convolutions_before_its_pooling()
    {
        var rows = ModelSummary.For(ModelConfig.Seed with { ConvLayersPerBlock = 2 }).Layers
            .Take(8).Select(l => (l.Name, Shape: string.Join('x', l.OutputShape), l.Params)).ToList();

        (string, string, long)[] expected =
        [
            ("conv2d_1", "32x28x28", 288 + 32),
            ("conv2d_2", "32x28x28", 9 * 32 * 32 + 32),
            ("max_pooling2d_1", "32x14x14", 0),
            ("batch_normalization_1", "32x14x14", 32 + 32),
            ("conv2d_3", "64x14x14", 18_432 + 64),
            ("conv2d_4", "64x14x14", 9 * 64 * 64 + 64),
            ("max_pooling2d_2", "64x7x7", 0),
            ("batch_normalization_2", "64x7x7", 64 + 64),
        ];
        Assert.Equal(expected, rows);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ModelConfig.MaxConvLayersPerBlock + 1)]
    public void Given_conv_layers_per_block_outside_1_to_the_maximum_When_validated_Then_the_error_names_the_field(int layers)
    {
        var e = Assert.Throws<ArgumentException>(() => (ModelConfig.Seed with { ConvLayersPerBlock = layers }).Validate());

        Assert.Contains("ConvLayersPerBlock", e.Message);
    }

    [Fact]
    public void Given_a_model_file_written_before_conv_layers_per_block_existed_When_read_Then_it_has_one_per_block()
    {
        var json = Core.Infrastructure.Json.Serialize(ModelConfig.Seed).Replace("\"conv_layers_per_block\": 1,", "", StringComparison.Ordinal);

        Assert.DoesNotContain("conv_layers_per_block", json);
        Assert.Equal(ModelConfig.Seed, Core.Infrastructure.Json.Deserialize<ModelConfig>(json, "old.json"));
    }

    [Fact]
    public void Given_the_same_seed_When_built_twice_Then_the_weights_are_identical()
    {
        using var a = ModelBuilder.Build(ModelConfig.Seed, seed: 5);
        using var b = ModelBuilder.Build(ModelConfig.Seed, seed: 5);

        Assert.Equal(ModelFile.SerializeWeights(a), ModelFile.SerializeWeights(b));
    }

    [Fact]
    public void Given_a_batch_When_run_Then_the_output_is_a_probability_distribution_per_image()
    {
        using var model = ModelBuilder.Build(ModelConfig.Seed, seed: 1);
        model.eval();
        using var x = rand(4, 1, 28, 28);

        using var p = model.forward(x).exp();

        Assert.Equal([4L, 10L], p.shape);
        Assert.True(p.sum(1).allclose(ones(4), atol: 1e-5));
    }

    [Fact]
    public void Given_an_invalid_hyperparameter_When_built_Then_the_error_names_the_field()
    {
        var config = ModelConfig.Seed with { Dense = [new(64, "selu", 1.5)] };

        var e = Assert.Throws<ArgumentException>(() => ModelBuilder.Build(config));

        Assert.Contains("Dense[0].Dropout", e.Message);
    }
}
