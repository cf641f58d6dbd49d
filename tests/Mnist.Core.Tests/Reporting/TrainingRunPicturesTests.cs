using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Reporting;

/// <summary>A tiny real run (600 images, one epoch) with --tensorboard: what it leaves beside its model file.</summary>
public sealed class TinyRunFixture : IDisposable
{
    public TinyRunFixture()
    {
        Outcome = TrainingRun.RunAsync(new TrainRequest
        {
            OutDir = Run,
            DataDir = TestData.MnistDir,
            Options = new TrainingOptions { Epochs = 1, TrainLimit = 600, Seed = 7 },
            TensorBoardDir = TensorBoard,
        }).GetAwaiter().GetResult();
    }

    public TempDir Dir { get; } = new();
    public string Run => Path.Combine(Dir.Path, "run");
    public string TensorBoard => Path.Combine(Dir.Path, "tb");
    public TrainOutcome Outcome { get; }

    public void Dispose() => Dir.Dispose();
}

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class TrainingRunPicturesTests(TinyRunFixture tiny) : IClassFixture<TinyRunFixture>
{
    [Fact]
    public void Given_a_training_run_When_it_ends_Then_its_folder_holds_every_picture_and_the_mistakes()
    {
        Pictures.AssertPng(Path.Combine(tiny.Run, "curves.png"), 1100, 420);
        Pictures.AssertPng(Path.Combine(tiny.Run, "confusion.png"), 860, 740);
        var (width, height) = Pictures.PngSize(Path.Combine(tiny.Run, "mistakes.png"));
        Assert.Equal(1080, width);
        Pictures.AssertPng(Path.Combine(tiny.Run, "mistakes.png"), width, height);
        Assert.Contains("epoch", Pictures.AssertSvg(Path.Combine(tiny.Run, "curves.svg"), 1100, 420));
        Assert.Contains(Pictures.AssertSvg(Path.Combine(tiny.Run, "mistakes.svg"), width, height), t => t.StartsWith("confidence ", StringComparison.Ordinal));
        var confusion = Pictures.AssertSvg(Path.Combine(tiny.Run, "confusion.svg"), 860, 740);
        foreach (var digit in Enumerable.Range(0, 10)) Assert.Contains(digit.ToString(System.Globalization.CultureInfo.InvariantCulture), confusion);
        var mistakes = Json.Deserialize<MistakeSet>(File.ReadAllText(Path.Combine(tiny.Run, RunFolder.MistakesName)), "mistakes.json");
        Assert.Equal(10_000, mistakes.Count);
        Assert.Equal(Enumerable.Range(0, 10).Sum(c => tiny.Outcome.Test.PerClass[c].Support - tiny.Outcome.Test.ConfusionMatrix[c][c]), mistakes.Total);
        Assert.Equal(Math.Min(36, mistakes.Total), mistakes.Items.Count);
        Assert.All(mistakes.Items, m => Assert.Equal(TestData.Mnist.Test.Labels[m.Index], m.Label));
    }

    [Fact]
    public void Given_a_training_run_with_tensorboard_When_it_ends_Then_the_events_hold_each_epochs_scalars()
    {
        var records = TfRecords.ReadAll(tiny.TensorBoard);

        Assert.True(records.Count >= 6);
        foreach (var tag in new[] { "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate" }) Assert.True(TfRecords.Contains(records, tag), tag);
    }

    [Fact]
    public async Task Given_a_run_from_before_mistakes_were_saved_When_reported_Then_the_test_set_is_evaluated_again_for_them()
    {
        using var copy = new TempDir();
        File.Copy(Path.Combine(tiny.Run, "model.ckpt"), copy.File("model.ckpt"));

        var outcome = await RunReport.WriteAsync(new ReportRequest { Dir = copy.Path, DataDir = TestData.MnistDir });

        Assert.Equal(RunPlots.Names.Select(copy.File), outcome.Drawn);
        var again = Json.Deserialize<MistakeSet>(File.ReadAllText(copy.File(RunFolder.MistakesName)), "mistakes.json");
        var original = Json.Deserialize<MistakeSet>(File.ReadAllText(Path.Combine(tiny.Run, RunFolder.MistakesName)), "mistakes.json");
        Assert.Equal(original.Total, again.Total);
        Assert.Equal(original.Items.Select(m => m.Index), again.Items.Select(m => m.Index));
    }

    [Fact]
    public async Task Given_an_older_run_and_unreadable_data_When_reported_Then_the_page_is_written_and_says_why_the_mistakes_are_missing()
    {
        using var copy = new TempDir();
        File.Copy(Path.Combine(tiny.Run, "model.ckpt"), copy.File("model.ckpt"));
        using var corrupt = new TempDir();
        foreach (var file in DatasetInfo.Mnist.Files) File.WriteAllBytes(corrupt.File(file.Name), [1, 2, 3, 4]);

        var outcome = await RunReport.WriteAsync(new ReportRequest { Dir = copy.Path, DataDir = corrupt.Path });

        Assert.True(File.Exists(outcome.Path));
        var note = Assert.Single(outcome.Notes);
        Assert.Contains("mistakes.json is missing and the test set could not be evaluated again", note, StringComparison.Ordinal);
        Assert.Contains("no picture of the mistakes", await File.ReadAllTextAsync(outcome.Path), StringComparison.Ordinal);
        Assert.False(PlotFiles.Exists(copy.Path, RunPlots.Mistakes));
        Assert.True(PlotFiles.Exists(copy.Path, RunPlots.Confusion));
    }
}
