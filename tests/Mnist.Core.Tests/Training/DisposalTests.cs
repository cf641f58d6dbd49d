using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Model;
using Mnist.Testing;
using Mnist.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Tests.Training;

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class DisposalTests
{
    private sealed class LiveCounter : ITrainingObserver
    {
        public List<long> AtEpochEnd { get; } = [];

        public void OnEpochEnd(EpochRecord record, bool improved, TrainerState state) =>
            AtEpochEnd.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Given_a_training_run_When_epochs_pass_Then_the_number_of_live_tensors_does_not_grow()
    {
        var options = new TrainingOptions { Epochs = 4, TrainLimit = 300, BatchSize = 50, Patience = 0 };
        using var data = TrainingData.Create(TestData.Mnist.Train, options, 10, CPU);
        using var model = ModelBuilder.Build(ModelConfig.Seed, seed: 1);
        var counter = new LiveCounter();
        using var trainer = new Trainer(model, ModelConfig.Seed, options, counter);

        trainer.Fit(data);

        Assert.Equal(4, counter.AtEpochEnd.Count);
        Assert.All(counter.AtEpochEnd.Skip(1), n => Assert.Equal(counter.AtEpochEnd[0], n));
    }

    [Fact]
    public void Given_an_evaluation_When_run_repeatedly_Then_the_number_of_live_tensors_does_not_grow()
    {
        using var model = ModelBuilder.Build(ModelConfig.Seed, seed: 1);
        using var x = Preprocessing.ToUnitTensor(TestData.Mnist.Test.Take(500));
        using var y = Preprocessing.Labels(TestData.Mnist.Test.Take(500));
        Evaluator.Run(model, x, y, Normalization.UnitRange, 100);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (var i = 0; i < 3; i++) Evaluator.Run(model, x, y, Normalization.UnitRange, 100);

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
