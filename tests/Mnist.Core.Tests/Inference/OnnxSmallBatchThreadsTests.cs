using Mnist.Core.Inference;

namespace Mnist.Core.Tests.Inference;

/// <summary>How the ONNX engine picks the threads one drawn digit runs on, from the two times it measures at load.</summary>
public sealed class OnnxSmallBatchThreadsTests
{
    [Fact]
    public void Given_one_image_faster_on_one_thread_When_the_engine_chooses_Then_it_keeps_one_thread()
    {
        Assert.True(OnnxRuntimeEngine.FasterOnOneThread(oneThreadMs: 1.2, allThreadsMs: 1.5));
    }

    [Fact]
    public void Given_one_image_faster_on_all_threads_When_the_engine_chooses_Then_it_uses_all_of_them()
    {
        Assert.False(OnnxRuntimeEngine.FasterOnOneThread(oneThreadMs: 4.9, allThreadsMs: 3.5));
    }

    [Fact]
    public void Given_a_tie_When_the_engine_chooses_Then_one_thread_wins_and_leaves_the_other_cores_to_the_requests()
    {
        Assert.True(OnnxRuntimeEngine.FasterOnOneThread(oneThreadMs: 2.0, allThreadsMs: 2.0));
    }

    [Theory]
    [InlineData(1, 1, "ONNX Runtime (1 thread)")]
    [InlineData(2, 1, "ONNX Runtime (2 threads; one drawn digit on 1 thread, the faster for this network at load)")]
    [InlineData(4, 4, "ONNX Runtime (4 threads; one drawn digit on 4 threads, the faster for this network at load)")]
    public void Given_the_threads_chosen_at_load_When_the_engine_describes_itself_Then_serve_can_say_which_one_drawn_digit_runs_on(int threads, int smallBatchThreads, string runtime)
    {
        Assert.Equal(runtime, OnnxRuntimeEngine.Describe(threads, smallBatchThreads));
    }
}
