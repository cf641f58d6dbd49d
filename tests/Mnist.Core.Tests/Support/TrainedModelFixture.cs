using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Support;

/// <summary>
/// One seed model trained once per test run: one epoch on the first 5,000 training images
/// (4,500 after the validation split), augmentation on, through the same path as `mnist train`.
/// </summary>
public sealed class TrainedModelFixture : IDisposable
{
    public TrainedModelFixture()
    {
        Outcome = TrainingRun.RunAsync(new TrainRequest
        {
            OutDir = Dir.Path,
            DataDir = TestData.MnistDir,
            Options = new TrainingOptions { Epochs = 1, TrainLimit = 5000, Seed = 42 },
        }).GetAwaiter().GetResult();
    }

    public TempDir Dir { get; } = new();
    public TrainOutcome Outcome { get; }
    public string ModelPath => Outcome.ModelPath;

    public void Dispose() => Dir.Dispose();
}

[CollectionDefinition(Name)]
public sealed class TrainedModelCollection : ICollectionFixture<TrainedModelFixture>
{
    public const string Name = "trained seed model";
}
