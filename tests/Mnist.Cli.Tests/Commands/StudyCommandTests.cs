using System.Text.Json;
using Mnist.Cli.Commands;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Cli.Tests.Commands;

/// <summary>
/// <c>mnist study show --csv</c>, <c>study best</c> and <c>study importance</c> on a small SQLite
/// study made with the store directly (no training): its scores follow the learning rate only.
/// </summary>
public sealed class StudyCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly SearchSpace Space = ModelBuilder.SeedSearchSpace();

    /// <summary>
    /// A study of the seed space: <paramref name="completed"/> completed trials scored by their
    /// learning rate's place in the cube, then one pruned and one failed trial. Its DIR/NAME.
    /// </summary>
    private string MakeStudy(string name, int completed)
    {
        var path = SqliteStudyStore.FileFor(_dir.Path, name);
        using var store = new SqliteStudyStore(path);
        store.OpenOrCreate(new StudyDefinition(name, Space.Parameters, TuningObjective.ValAccuracy, "mnist"));
        var lr = Space.Parameters.ToList().FindIndex(p => p.Name == "learning_rate");
        var random = new Random(3);
        for (var i = 0; i < completed + 2; i++)
        {
            var unit = Enumerable.Range(0, Space.Dimensions).Select(_ => random.NextDouble()).ToArray();
            var trial = store.Claim(new ClaimRequest("worker,1", completed + 2, TimeSpan.FromMinutes(2), _ => new TrialProposal(unit, Space.FromUnit(unit))))!;
            var result = i switch
            {
                _ when i == completed => TrialResult.Pruned(0.5, 1, 0, 1.0 / 9, 3),
                _ when i == completed + 1 => TrialResult.Failed("InvalidOperationException: made up", 0, 1),
                _ => TrialResult.Completed(0.9 + 0.09 * Space.Canonical(unit)[lr], 2, 2, 10 + i),
            };
            store.Finish(trial.Id, "worker,1", result);
        }
        return Path.Combine(_dir.Path, name);
    }

    [Fact]
    public async Task Given_a_study_When_shown_as_csv_Then_it_prints_a_header_and_one_row_per_trial_in_trial_order()
    {
        var study = MakeStudy("s1", 4);

        var (code, output, _) = await CommandRunTests.Run("study", "show", study, "--csv");

        Assert.Equal(0, code);
        var rows = Csv.Parse(output);
        Assert.Equal(["number", "status", "val_accuracy", "best_epoch", "epochs", "seconds", "worker", "started", "finished", .. Space.Parameters.Select(p => p.Name)], rows[0]);
        Assert.Equal(["0", "1", "2", "3", "4", "5"], rows.Skip(1).Select(r => r[0]));
        Assert.Equal(["completed", "completed", "completed", "completed", "pruned", "failed"], rows.Skip(1).Select(r => r[1]));
        Assert.All(rows.Skip(1), r => Assert.Equal("worker,1", r[6]));
    }

    [Fact]
    public void Given_csv_and_json_together_When_study_show_is_parsed_Then_it_is_an_error_saying_to_choose_one()
    {
        var errors = CliApp.Parse(["study", "show", "dir/s1", "--csv", "--json"]).Errors;

        Assert.Contains(errors, e => e.Message.Contains("--json and --csv: choose one", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Given_a_study_When_its_best_is_written_to_a_file_Then_train_reads_back_the_best_trials_network()
    {
        var study = MakeStudy("s1", 4);
        var file = _dir.File("best.json");

        var (code, output, _) = await CommandRunTests.Run("study", "best", study, "--json", "--out", file);

        Assert.Equal(0, code);
        Assert.Contains($"mnist train --hyperparameters {file}", output);
        var expected = TuneRun.Show(study).BestConfig;
        Assert.NotNull(expected);
        Assert.Equal(expected, TrainCommand.ToRequest(CliApp.Parse(["train", "--out", "o", "--hyperparameters", file])).Config);
    }

    [Fact]
    public async Task Given_a_study_When_its_best_is_printed_as_json_Then_it_is_the_best_trials_network_in_the_train_file_format()
    {
        var study = MakeStudy("s1", 4);

        var (code, output, _) = await CommandRunTests.Run("study", "best", study, "--json");

        Assert.Equal(0, code);
        Assert.Equal(TuneRun.Show(study).BestConfig, Json.Deserialize<ModelConfig>(output, "stdout"));
    }

    [Fact]
    public async Task Given_a_study_When_its_best_is_printed_Then_it_names_the_trial_its_score_and_its_network()
    {
        var study = MakeStudy("s1", 4);
        var best = TuneRun.Show(study).Report.Best!;

        var (code, output, _) = await CommandRunTests.Run("study", "best", study);

        Assert.Equal(0, code);
        Assert.Contains($"Best trial {best.Id} of study 's1': val_accuracy", output);
        Assert.Contains("model: ", output);
    }

    [Fact]
    public async Task Given_a_study_with_no_completed_trial_When_its_best_is_asked_for_Then_the_error_names_the_study_and_the_exit_code_is_1()
    {
        var study = MakeStudy("empty", 0);

        var (code, _, error) = await CommandRunTests.Run("study", "best", study, "--json");

        Assert.Equal(1, code);
        Assert.Contains("study 'empty' has no best trial yet", error);
    }

    [Fact]
    public async Task Given_a_study_whose_scores_follow_the_learning_rate_When_importance_is_printed_as_json_Then_learning_rate_leads_and_the_shares_sum_to_one()
    {
        var study = MakeStudy("s1", 24);

        var (code, output, _) = await CommandRunTests.Run("study", "importance", study, "--json");

        Assert.Equal(0, code);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(("s1", "val_accuracy", 24, 26), (root.GetProperty("study").GetString(), root.GetProperty("objective").GetString(),
            root.GetProperty("trials_used").GetInt32(), root.GetProperty("trials_in_study").GetInt32()));
        var importances = root.GetProperty("importances").EnumerateArray().ToList();
        Assert.Equal(Space.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal), importances.Select(i => i.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("learning_rate", importances[0].GetProperty("name").GetString());
        Assert.Equal(1, importances.Sum(i => i.GetProperty("importance").GetDouble()), 9);
    }

    [Fact]
    public async Task Given_a_study_When_importance_is_printed_Then_the_table_says_which_trials_it_used()
    {
        var study = MakeStudy("s1", 6);

        var (code, output, _) = await CommandRunTests.Run("study", "importance", study);

        Assert.Equal(0, code);
        Assert.Contains("from 6 of 8 trials (completed trials only", output);
        Assert.Contains("learning_rate", output);
        Assert.Contains("%", output);
    }

    [Fact]
    public async Task Given_a_study_with_one_completed_trial_When_importance_is_asked_for_Then_the_error_names_the_study_and_its_trials()
    {
        var study = MakeStudy("one", 1);

        var (code, _, error) = await CommandRunTests.Run("study", "importance", study);

        Assert.Equal(1, code);
        Assert.Contains("study 'one'", error);
        Assert.Contains("it has 1", error);
        Assert.Contains("--rung 0", error);
    }

    [Theory]
    [InlineData("study importance")]
    [InlineData("study importance dir/s1 --rung -1")]
    [InlineData("study best")]
    [InlineData("study best dir/s1 --out")]
    public void Given_a_bad_study_command_line_When_parsed_Then_it_is_a_parse_error(string line)
    {
        Assert.NotEmpty(CliApp.Parse(line.Split(' ')).Errors);
    }

    [Fact]
    public async Task Given_a_missing_study_When_importance_is_asked_for_Then_the_error_names_its_file()
    {
        var (code, _, error) = await CommandRunTests.Run("study", "importance", _dir.File("nowhere"));

        Assert.Equal(1, code);
        Assert.Contains("nowhere.db", error);
    }
}
