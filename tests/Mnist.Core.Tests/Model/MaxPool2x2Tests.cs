using Mnist.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Model;

public sealed class MaxPool2x2Tests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        { 4, 3, 28, 28 },
        { 2, 5, 14, 14 },
        { 3, 2, 7, 9 }, // odd sides: the last row and column are dropped, as in floor mode
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Given_any_input_When_pooled_Then_values_and_gradients_equal_nn_MaxPool2d_bit_for_bit(int n, int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        // After a ReLU, as in the model: many windows are all zeros (ties), where only the first
        // position may take the gradient.
        var input = nn.functional.relu(randn(n, c, h, w));
        var ours = input.clone().requires_grad_(true);
        var theirs = input.clone().requires_grad_(true);
        var upstream = randn(n, c, h / 2, w / 2);
        using var pool = new MaxPool2x2();
        using var reference = nn.MaxPool2d(2);

        var y = pool.forward(ours);
        var expected = reference.forward(theirs);
        y.backward([upstream]);
        expected.backward([upstream]);

        Assert.Equal(expected.shape, y.shape);
        Assert.Equal(0f, (y - expected).abs().max().item<float>());
        Assert.Equal(0f, (ours.grad! - theirs.grad!).abs().max().item<float>());
    }

    [Fact]
    public void Given_tied_positive_maxima_When_back_propagated_Then_only_the_first_in_scan_order_takes_the_gradient()
    {
        using var scope = NewDisposeScope();
        var input = tensor(new float[] { 1, 2, 2, 2 }).view(1, 1, 2, 2).requires_grad_(true);
        using var pool = new MaxPool2x2();

        pool.forward(input).backward([ones(1, 1, 1, 1)]);

        Assert.Equal(new float[] { 0, 1, 0, 0 }, input.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Given_no_gradient_When_pooled_Then_the_values_are_the_same_and_no_graph_is_built()
    {
        using var scope = NewDisposeScope();
        var input = randn(2, 3, 6, 6).requires_grad_(true);
        using var pool = new MaxPool2x2();
        var withGraph = pool.forward(input);

        using var _ = no_grad();
        var without = pool.forward(input);

        Assert.False(without.requires_grad);
        Assert.Equal(0f, (withGraph.detach() - without).abs().max().item<float>());
    }
}
