using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Core.Tests.Reporting;

public sealed class StudyPlotsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A study file with <paramref name="completed"/> completed trials at random points of the seed's space, and one failed.</summary>
    internal static string MakeStudy(string dir, string name, int completed, int seed = 5)
    {
        var space = ModelBuilder.SeedSearchSpace();
        var path = SqliteStudyStore.FileFor(dir, name);
        using var store = new SqliteStudyStore(path);
        store.OpenOrCreate(new StudyDefinition(name, space.Parameters, TuningObjective.ValAccuracy));
        var rnd = new Random(seed);
        for (var i = 0; i <= completed; i++)
        {
            var unit = Enumerable.Range(0, space.Dimensions).Select(_ => rnd.NextDouble()).ToArray();
            var trial = store.Claim(new ClaimRequest("test", completed + 1, TimeSpan.FromMinutes(2), _ => new TrialProposal(unit, space.FromUnit(unit))))!;
            if (i == 2) store.Finish(trial.Id, "test", TrialResult.Failed("InvalidOperationException: made up", 0, 1));
            else store.Finish(trial.Id, "test", TrialResult.Completed(0.95 + 0.04 * rnd.NextDouble(), 2, 2, 10 + i));
        }
        return path;
    }

    [Fact]
    public void Given_a_study_When_its_pictures_are_written_Then_the_history_has_scores_and_the_best_so_far_and_params_a_panel_each()
    {
        var path = MakeStudy(_dir.Path, "s1", 8);

        var names = StudyPlots.WriteFor(path);

        Assert.Equal(["s1_history", "s1_params"], names);
        Pictures.AssertPng(_dir.File("s1_history.png"), 900, 450);
        var history = Pictures.AssertSvg(_dir.File("s1_history.svg"), 900, 450);
        foreach (var expected in new[] { "trial score", "best so far", "failed trial", "trial", "val_accuracy" }) Assert.Contains(expected, history);
        Assert.Contains(history, t => t.StartsWith("Study 's1': val_accuracy per trial (best: trial ", StringComparison.Ordinal));

        Pictures.AssertPng(_dir.File("s1_params.png"), 4 * 330, 3 * 300);
        var parameters = Pictures.AssertSvg(_dir.File("s1_params.svg"), 4 * 330, 3 * 300);
        foreach (var p in ModelBuilder.SeedSearchSpace().Parameters) Assert.Contains(parameters, t => t.StartsWith(p.Name, StringComparison.Ordinal));
        Assert.Contains("learning_rate (log scale)", parameters);
    }

    [Fact]
    public void Given_a_study_with_no_completed_trial_When_drawn_Then_the_history_says_so()
    {
        var space = ModelBuilder.SeedSearchSpace();
        var definition = new StudyDefinition("empty", space.Parameters, TuningObjective.ValLoss);

        StudyPlots.Write(_dir.Path, definition, []);

        Assert.Contains("No completed trial yet (0 trials recorded).", Pictures.AssertSvg(_dir.File("empty_history.svg"), 900, 450));
        Assert.True(PlotFiles.Exists(_dir.Path, "empty_params"));
    }
}
