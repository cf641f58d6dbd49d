using Mnist.Core.Evaluation;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Evaluation;

/// <summary>Which images an evaluation on the validation split reads, and how it says so.</summary>
public sealed class HeldOutSplitTests
{
    [Fact]
    public void A_model_file_that_records_its_training_is_read_on_the_images_its_own_options_held_out()
    {
        var options = new TrainingOptions { TrainLimit = 2000, Seed = 3, SplitSeed = 5 };

        var (heldOut, source) = HeldOutSplit.Of(SeedModelFile.Manifest() with { Training = options });
        var images = HeldOutSplit.Images(TestData.Mnist, EvaluationSplit.Validation, heldOut);

        Assert.Same(options, heldOut);
        Assert.Equal(TrainingData.Split(TestData.Mnist.Train, options).Validation.Pixels, images.Pixels);
        Assert.Equal("the validation split of the training file: the 0.1 of the first 2000 training images that a run with split seed 5 holds out (the model's own options)", source);
    }

    [Fact]
    public void A_model_file_that_records_no_training_is_read_on_the_default_split_and_says_so()
    {
        var (heldOut, source) = HeldOutSplit.Of(SeedModelFile.Manifest());

        Assert.Equal(new TrainingOptions(), heldOut);
        Assert.EndsWith("(default options: the file does not record its training)", source, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_split_is_the_test_set_whatever_the_options()
    {
        Assert.Same(TestData.Mnist.Test, HeldOutSplit.Images(TestData.Mnist, EvaluationSplit.Test, new TrainingOptions { TrainLimit = 10 }));
    }
}
