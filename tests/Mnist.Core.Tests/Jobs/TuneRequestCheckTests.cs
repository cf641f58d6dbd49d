using Mnist.Core.Jobs;
using Mnist.Samples;

namespace Mnist.Core.Tests.Jobs;

/// <summary>What <c>tune</c> refuses before it opens a study or reads a file: fixed values and enqueued configurations the search could not try.</summary>
public sealed class TuneRequestCheckTests
{
    [Fact]
    public async Task Given_an_enqueued_seed_model_over_the_multiply_adds_budget_When_tuning_starts_Then_the_error_names_the_configuration_and_the_budget_and_no_study_is_made()
    {
        using var dir = new TempDir();
        var request = new TuneRequest { OutDir = dir.Path, Enqueue = [new Dictionary<string, double>()], MaxMultAdds = 1_000_000 };

        var e = await Assert.ThrowsAsync<ArgumentException>(() => TuneRun.RunAsync(request));

        Assert.Contains("enqueued configuration 1 (conv1_filters=32", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not meet the search's constraint: at most 1,000,000 multiply-adds per image", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(request.StudyPath));
    }

    [Fact]
    public async Task Given_an_enqueued_configuration_against_a_fixed_value_When_tuning_starts_Then_the_error_names_both_and_no_study_is_made()
    {
        using var dir = new TempDir();
        var request = new TuneRequest
        {
            OutDir = dir.Path,
            Fixed = new Dictionary<string, double> { ["conv_layers_per_block"] = 1 },
            Enqueue = [new Dictionary<string, double> { ["conv_layers_per_block"] = 2 }],
        };

        var e = await Assert.ThrowsAsync<ArgumentException>(() => TuneRun.RunAsync(request));

        Assert.Contains("enqueued configuration 1: hyperparameter conv_layers_per_block = 2: not a value of fixed at 1", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(request.StudyPath));
    }
}
