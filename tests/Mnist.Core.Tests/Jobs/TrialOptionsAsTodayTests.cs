using System.Text.Json.Nodes;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Training;

namespace Mnist.Core.Tests.Jobs;

/// <summary>A study's stored trial options read as today's, so that a setting added since does not make an old study "another one".</summary>
public sealed class TrialOptionsAsTodayTests
{
    /// <summary>Today's JSON of <paramref name="options"/> without the settings added since the augmentations (as a study of stop 12 stored it).</summary>
    private static string WrittenBefore(TrainingOptions options)
    {
        var node = JsonNode.Parse(Json.Serialize(options, indented: false))!.AsObject();
        node.Remove("monitor");
        var augmentation = node["augmentation"]!.AsObject();
        foreach (var added in new[] { "elastic_alpha", "elastic_sigma", "shear_degrees", "stroke_jitter" }) augmentation.Remove(added);
        return node.ToJsonString();
    }

    [Fact]
    public void Given_trial_options_stored_before_the_monitor_and_the_augmentations_existed_When_read_as_today_Then_they_are_todays_text_of_the_same_options()
    {
        var options = new TrainingOptions { Epochs = 10, DataFraction = 0.5, Seed = 3, Monitor = Core.Tuning.TuningObjective.ValLoss };
        var stored = WrittenBefore(options);
        Assert.DoesNotContain("monitor", stored);

        Assert.Equal(Json.Serialize(options, indented: false), TuneRun.TrialOptionsAsToday(stored));
    }

    [Fact]
    public void Given_trial_options_stored_before_the_monitor_existed_When_read_as_today_Then_they_say_val_loss_and_differ_from_todays_default()
    {
        var today = Json.Serialize(new TrainingOptions { Epochs = 10 }, indented: false);

        var read = TuneRun.TrialOptionsAsToday(WrittenBefore(new TrainingOptions { Epochs = 10 }));

        Assert.Contains("\"monitor\":\"val_loss\"", read);
        Assert.Contains("\"monitor\":\"val_accuracy\"", today);
        Assert.NotEqual(today, read);
    }

    [Fact]
    public void Given_stored_trial_options_that_differ_from_those_asked_When_read_as_today_Then_they_still_differ()
    {
        var stored = WrittenBefore(new TrainingOptions { Epochs = 3 });

        Assert.NotEqual(Json.Serialize(new TrainingOptions { Epochs = 10 }, indented: false), TuneRun.TrialOptionsAsToday(stored));
    }

    [Fact]
    public void Given_stored_text_that_is_not_trial_options_When_read_as_today_Then_it_is_left_as_it_is()
    {
        Assert.Equal("not json", TuneRun.TrialOptionsAsToday("not json"));
    }
}
