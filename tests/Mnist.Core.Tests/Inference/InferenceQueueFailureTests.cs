using Mnist.Core.Inference;
using Mnist.Core.Model;

namespace Mnist.Core.Tests.Inference;

/// <summary>The queue's thread against an engine that fails: the callers hear of it, and the queue goes on.</summary>
public sealed class InferenceQueueFailureTests
{
    /// <summary>Throws <paramref name="failure"/> on its first pass, then answers class 0 for every input.</summary>
    private sealed class FailsOnce(Exception failure) : IInferenceEngine
    {
        private int _passes;

        public InferenceEngineKind Kind => InferenceEngineKind.Torch;
        public string Runtime => "a test engine that fails once";
        public string Path => "test";
        public ModelFileContents Contents => throw new NotSupportedException();
        public ModelManifest Manifest => throw new NotSupportedException();
        public int InputSize => 2;

        public Prediction[] Predict(IReadOnlyList<float[]> inputs) =>
            _passes++ == 0 ? throw failure : inputs.Select(_ => new Prediction(0, "0", [1f, 0f])).ToArray();

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Given_an_engine_that_throws_an_unexpected_exception_When_predicting_Then_the_caller_gets_it_and_the_next_request_is_answered()
    {
        using var queue = new InferenceQueue(new FailsOnce(new NotSupportedException("no such kernel")));

        var first = await Assert.ThrowsAsync<NotSupportedException>(() => queue.PredictAsync(new float[4]).WaitAsync(TimeSpan.FromSeconds(30)));
        var second = await queue.PredictAsync(new float[4]).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("no such kernel", first.Message);
        Assert.Equal(0, second.Index);
    }
}
