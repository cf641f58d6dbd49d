using System.Text.RegularExpressions;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Core.Tests.Reporting;

/// <summary>mnist report on made-up run and study folders (no training): the page, its numbers and pictures.</summary>
public sealed class RunReportTests : IDisposable
{
    private static readonly string[] Clothing = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A run folder as an older version left it: model.ckpt with history and evaluation, mistakes.json, no pictures.</summary>
    private static EvaluationResult MakeRun(string dir)
    {
        var (data, predicted, confidence) = RunPlotsTests.Predictions(1000);
        var evaluation = EvaluationResult.FromPredictions(data.Labels, predicted, 0.2875, Clothing);
        var history = RunPlotsTests.History(4);
        ModelFile.Save(Path.Combine(dir, RunFolder.ModelFileName), new ModelFileContents
        {
            Manifest = new ModelManifest
            {
                Dataset = "fashion-mnist",
                ClassNames = Clothing,
                Hyperparameters = ModelConfig.Seed,
                Normalization = new Normalization(0, 1),
                Epoch = 3,
                Best = new BestMetric("val_loss", history[2].ValLoss, 3),
                DataChecksums = new Dictionary<string, string>(),
                Training = new TrainingOptions { Epochs = 4 },
                TotalParams = 825_162,
            },
            History = history,
            Evaluation = evaluation,
        });
        AtomicFile.WriteAllText(Path.Combine(dir, RunFolder.MistakesName), Json.Serialize(MistakeSet.From(data, predicted, confidence)));
        return evaluation;
    }

    private static IEnumerable<string> InlinedSvgs(string html) =>
        Regex.Matches(html, "data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)").Select(m => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value)));

    [Fact]
    public async Task Given_a_run_without_pictures_When_reported_Then_they_are_drawn_and_the_page_holds_them_with_the_numbers()
    {
        var evaluation = MakeRun(_dir.Path);

        var outcome = await RunReport.WriteAsync(new ReportRequest { Dir = _dir.Path });

        Assert.Equal(Path.Combine(_dir.Path, "report.html"), outcome.Path);
        Assert.Equal(RunPlots.Names.Select(n => Path.Combine(_dir.Path, n)), outcome.Drawn);
        Assert.Empty(outcome.Notes);
        foreach (var name in RunPlots.Names) Assert.True(PlotFiles.Exists(_dir.Path, name), name);
        var html = await File.ReadAllTextAsync(outcome.Path);
        Assert.Equal(3, InlinedSvgs(html).Count());
        Assert.All(InlinedSvgs(html), svg => Assert.StartsWith("<?xml", svg, StringComparison.Ordinal));
        Assert.Contains(InlinedSvgs(html), svg => svg.Contains("Ankle boot", StringComparison.Ordinal));
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"<th>test accuracy</th><td>{evaluation.Accuracy * 100:0.00}%</td>"), html, StringComparison.Ordinal);
        Assert.Contains("<th>test loss</th><td>0.2875</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th>epochs trained</th><td>4</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th>best epoch</th><td>3 (val_loss ", html, StringComparison.Ordinal);
        var coat = evaluation.PerClass[4];
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"<tr><td>Coat</td><td>{coat.Precision:0.0000}</td><td>{coat.Recall:0.0000}</td><td>{coat.F1:0.0000}</td><td>{coat.Support}</td></tr>"), html, StringComparison.Ordinal);
        Assert.Contains("<th>conv1_filters</th><td>32</td>", html, StringComparison.Ordinal);
        Assert.Contains("<th>learning_rate</th><td>0.001</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_run_with_its_pictures_When_reported_again_Then_nothing_is_redrawn()
    {
        MakeRun(_dir.Path);
        await RunReport.WriteAsync(new ReportRequest { Dir = _dir.Path });
        var before = File.GetLastWriteTimeUtc(Path.Combine(_dir.Path, "curves.svg"));

        var outcome = await RunReport.WriteAsync(new ReportRequest { Dir = _dir.Path });

        Assert.Empty(outcome.Drawn);
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(_dir.Path, "curves.svg")));
    }

    [Fact]
    public async Task Given_a_tune_folder_When_reported_Then_the_page_has_the_study_pictures_and_the_trials_table()
    {
        StudyPlotsTests.MakeStudy(_dir.Path, "study", 6);

        var outcome = await RunReport.WriteAsync(new ReportRequest { Dir = _dir.Path });

        Assert.Equal([Path.Combine(_dir.Path, "study.db")], outcome.Studies);
        Assert.Empty(outcome.Runs);
        var html = await File.ReadAllTextAsync(outcome.Path);
        Assert.Equal(2, InlinedSvgs(html).Count());
        Assert.Contains("data-picture=\"study_history\"", html, StringComparison.Ordinal);
        Assert.Contains("data-picture=\"study_params\"", html, StringComparison.Ordinal);
        Assert.Contains("<th>trial</th><th>status</th><th>val_accuracy</th>", html, StringComparison.Ordinal);
        Assert.Equal(7, Regex.Matches(html, "<tr( class=\"best\")?><td>\\d+</td><td>(completed|failed)</td>").Count);
        Assert.Contains("made up", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_pipeline_folder_When_reported_Then_its_final_run_and_its_study_are_both_in_the_page()
    {
        StudyPlotsTests.MakeStudy(_dir.Path, "study", 3);
        Directory.CreateDirectory(Path.Combine(_dir.Path, "final"));
        MakeRun(Path.Combine(_dir.Path, "final"));

        var outcome = await RunReport.WriteAsync(new ReportRequest { Dir = _dir.Path });

        Assert.Equal([Path.Combine(_dir.Path, "final")], outcome.Runs);
        var html = await File.ReadAllTextAsync(outcome.Path);
        Assert.Contains("<h2>Run <code>final</code></h2>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Study <code>study</code></h2>", html, StringComparison.Ordinal);
        Assert.Equal(5, InlinedSvgs(html).Count());
    }

    [Fact]
    public async Task Given_a_run_still_training_When_reported_Then_its_checkpoint_gives_the_history_so_far_and_the_page_says_it_did_not_finish()
    {
        var history = RunPlotsTests.History(2);
        new RunFolder(_dir.Path).SaveCheckpoint(new ModelFileContents
        {
            Manifest = SeedModelFile.Manifest() with { Epoch = 2 },
            Weights = [1],
            History = history,
            TrainerState = new TrainerState(2, history[1].ValLoss, 2, 0, 0, false, 1e-3),
        });

        var outcome = await RunReport.WriteAsync(new ReportRequest { Dir = _dir.Path });

        Assert.Equal([_dir.Path], outcome.Runs);
        Assert.Equal([Path.Combine(_dir.Path, RunPlots.Curves)], outcome.Drawn);
        Assert.Contains("the run did not finish", Assert.Single(outcome.Notes), StringComparison.Ordinal);
        Assert.Contains("<th>epochs trained</th><td>2</td>", await File.ReadAllTextAsync(outcome.Path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_folder_with_neither_run_nor_study_When_reported_Then_the_error_names_it()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RunReport.WriteAsync(new ReportRequest { Dir = _dir.Path }));
        Assert.Contains(_dir.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains("nothing to report", e.Message, StringComparison.Ordinal);

        var missing = Path.Combine(_dir.Path, "nope");
        var e2 = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => RunReport.WriteAsync(new ReportRequest { Dir = missing }));
        Assert.Contains(missing, e2.Message, StringComparison.Ordinal);
    }
}
