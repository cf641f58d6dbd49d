using Mnist.Core.Data;
using Mnist.Testing;

namespace Mnist.Core.Tests.Data;

public sealed class StratifiedSplitTests
{
    [Fact]
    public void Given_the_training_labels_When_split_10_percent_Then_each_class_keeps_its_share()
    {
        var labels = TestData.Mnist.Train.Labels;

        var (train, validation) = StratifiedSplit.Split(labels, 0.1, seed: 7);

        Assert.Equal(labels.Length, train.Length + validation.Length);
        Assert.Empty(train.Intersect(validation));
        for (byte c = 0; c < 10; c++)
        {
            var total = labels.Count(l => l == c);
            var inValidation = validation.Count(i => labels[i] == c);
            Assert.InRange(inValidation, (int)Math.Floor(total * 0.1), (int)Math.Ceiling(total * 0.1));
        }
    }

    [Fact]
    public void Given_the_same_seed_When_split_twice_Then_the_parts_are_identical_and_another_seed_differs()
    {
        var labels = TestData.Mnist.Train.Labels.AsSpan(0, 2000).ToArray();

        var a = StratifiedSplit.Split(labels, 0.2, seed: 1);
        var b = StratifiedSplit.Split(labels, 0.2, seed: 1);
        var c = StratifiedSplit.Split(labels, 0.2, seed: 2);

        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
    }
}
