using System.Text.Json.Nodes;
using Mnist.Core.Infrastructure;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Training;

/// <summary>The monitor's default for new runs, and what a file written before it was recorded means.</summary>
public sealed class TrainingOptionsMonitorTests
{
    [Fact]
    public void Given_new_training_options_When_nothing_is_said_Then_they_monitor_val_accuracy_the_searchs_objective()
    {
        Assert.Equal(TuningObjective.ValAccuracy, new TrainingOptions().Monitor);
    }

    [Theory]
    [InlineData(TuningObjective.ValAccuracy)]
    [InlineData(TuningObjective.ValLoss)]
    public void Given_training_options_When_written_and_read_back_Then_the_monitor_is_kept(TuningObjective monitor)
    {
        var options = new TrainingOptions { Monitor = monitor };

        Assert.Equal(options, Json.Deserialize<TrainingOptions>(Json.Serialize(options), "options.json"));
    }

    [Fact]
    public void Given_options_written_before_the_monitor_was_recorded_When_read_Then_they_monitor_val_loss_as_those_runs_did()
    {
        var node = JsonNode.Parse(Json.Serialize(new TrainingOptions()))!.AsObject();
        node.Remove("monitor");

        var read = Json.Deserialize<TrainingOptions>(node.ToJsonString(), "checkpoint.ckpt");

        Assert.Equal(TuningObjective.ValLoss, read.Monitor);
        Assert.Equal(new TrainingOptions { Monitor = TuningObjective.ValLoss }, read);
    }
}
