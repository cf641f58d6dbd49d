using Mnist.Core.Inference;
using Mnist.Core.Tests.Support;
using Mnist.Testing;

namespace Mnist.Core.Tests.Inference;

[Collection(TrainedModelCollection.Name)]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class InferenceQueueTests(TrainedModelFixture trained)
{
    [Fact]
    public async Task Concurrent_callers_get_exactly_the_predictions_of_a_direct_call()
    {
        using var predictor = Predictor.Load(trained.ModelPath);
        using var queue = new InferenceQueue(predictor);
        var inputs = TestData.TestInputs(200);
        var direct = predictor.Predict(inputs);

        var queued = await Task.WhenAll(inputs.Select(input => Task.Run(() => queue.PredictAsync(input))));

        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(direct[i].Index, queued[i].Index);
            Assert.Equal(direct[i].Probabilities, queued[i].Probabilities, (a, b) => Math.Abs(a - b) < 1e-5f);
        }
    }

    [Fact]
    public async Task Inputs_that_arrive_together_share_forward_passes()
    {
        using var predictor = Predictor.Load(trained.ModelPath);
        using var queue = new InferenceQueue(predictor);
        var inputs = TestData.TestInputs(256);

        await Task.WhenAll(inputs.Select(input => queue.PredictAsync(input)));

        Assert.Equal(256, queue.Inputs);
        Assert.True(queue.Passes < 256, $"{queue.Passes} passes for 256 inputs");
    }

    [Fact]
    public async Task An_input_of_the_wrong_size_is_refused_without_harming_the_others()
    {
        using var predictor = Predictor.Load(trained.ModelPath);
        using var queue = new InferenceQueue(predictor);

        Assert.Throws<ArgumentException>(() => { _ = queue.PredictAsync(new float[10]); });
        var ok = await queue.PredictAsync(TestData.TestInputs(1)[0]);

        Assert.InRange(ok.Index, 0, 9);
    }
}
