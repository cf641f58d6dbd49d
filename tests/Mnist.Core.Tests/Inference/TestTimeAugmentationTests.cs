using Mnist.Core.Data;
using Mnist.Core.Inference;
using Mnist.Core.Model;
using Mnist.Testing;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Inference;

/// <summary>Test-time augmentation: the variants, the averaging, and N = 0 as the plain prediction.</summary>
public sealed class TestTimeAugmentationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void With_no_variants_the_engine_is_the_plain_one_and_the_network_answers_as_the_plain_network()
    {
        using var predictor = Predictor.Load(SeedModelFile.SaveUntrained(_dir.File("m.ckpt"), seed: 1));
        Assert.Same(predictor, TestTimeAugmentation.Engine(predictor, 0));

        var (network, contents) = ModelFile.LoadModel(_dir.File("m.ckpt"));
        using (network)
        using (no_grad())
        using (var x = Preprocessing.ToUnitTensor(TestData.Mnist.Test.Take(8)))
        using (var plain = network.forward(Preprocessing.Normalize(x, contents.Manifest.Normalization)))
        using (var wrapped = TestTimeAugmentation.Network(network, contents.Manifest.Normalization, 0).forward(x))
        {
            Assert.True(plain.allclose(wrapped, rtol: 0, atol: 0));
        }
    }

    [Fact]
    public void Expanding_a_batch_keeps_it_first_and_a_one_pixel_shift_moves_every_pixel_one_column_right()
    {
        using var x = Preprocessing.ToUnitTensor(TestData.Mnist.Test.Take(3));

        using var expanded = TestTimeAugmentation.Expand(x, 1);

        Assert.Equal(new long[] { 6, 1, 28, 28 }, expanded.shape);
        Assert.True(expanded.narrow(0, 0, 3).allclose(x, rtol: 0, atol: 0));
        using var shifted = expanded.narrow(0, 3, 3);
        Assert.True(shifted[.., .., .., 1..].allclose(x[.., .., .., ..^1], rtol: 0, atol: 1e-5));
        Assert.True(shifted[.., .., .., 0].abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void The_mean_over_variants_is_the_log_of_the_mean_probability_of_each_image()
    {
        // Two images, one variant each: rows 0-1 the images, rows 2-3 their variants.
        using var p = tensor(new float[] { 0.9f, 0.1f, 0.2f, 0.8f, 0.5f, 0.5f, 0.4f, 0.6f }, [4, 2]);
        using var logP = p.log();

        using var mean = TestTimeAugmentation.MeanOfProbabilities(logP, 1).exp();

        Assert.Equal(new[] { 0.7f, 0.3f, 0.3f, 0.7f }, mean.data<float>().ToArray().Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public void An_engine_with_variants_answers_the_mean_of_the_plain_engines_answers_over_them()
    {
        using var predictor = Predictor.Load(SeedModelFile.SaveUntrained(_dir.File("m.ckpt"), seed: 2));
        var inputs = TestData.TestInputs(4);
        using var tta = TestTimeAugmentation.Engine(Predictor.Load(_dir.File("m.ckpt")), 3);

        var answers = tta.Predict(inputs);

        using var x = Preprocessing.ToUnitTensor(inputs.SelectMany(i => i).ToArray(), 4, 28, 28);
        using var expanded = TestTimeAugmentation.Expand(x, 3);
        var rows = expanded.data<float>().ToArray().Chunk(784).ToList();
        var plain = predictor.Predict(rows);
        for (var i = 0; i < 4; i++)
        {
            for (var c = 0; c < 10; c++)
            {
                var mean = Enumerable.Range(0, 4).Average(v => plain[v * 4 + i].Probabilities[c]);
                Assert.Equal(mean, answers[i].Probabilities[c], 5);
            }
        }
    }

    [Fact]
    public void More_variants_than_there_are_are_refused_naming_the_setting()
    {
        var e = Assert.Throws<Core.Infrastructure.SettingException>(() => TestTimeAugmentation.Check(TestTimeAugmentation.Variants.Count + 1));

        Assert.Contains("tta", e.Message, StringComparison.Ordinal);
    }
}
