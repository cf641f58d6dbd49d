using System.Globalization;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// The study as data: its trials as CSV (Optuna's <c>trials_dataframe()</c>) that reads back to the
/// same fields, and its best trial as the JSON file <c>mnist train --hyperparameters</c> reads.
/// </summary>
public sealed class StudyDataTests
{
    /// <summary>A space with a choice whose names need quoting, an int, a log float, and an int active only for one choice.</summary>
    private static readonly SearchSpace Space = SearchSpace.Declare(hp =>
    {
        var kind = hp.Choice("kind", ["plain", "a,b", "say \"hi\""]);
        hp.Int("units", 8, 64, step: 8);
        hp.Float("lr", 1e-4, 1e-2, log: true);
        using (hp.ConditionalScope("kind", 1)) hp.Int("extra", 1, 3);
        return kind;
    });

    private static readonly DateTimeOffset Start = new(2026, 12, 2, 7, 30, 15, 123, TimeSpan.Zero);

    private static TrialRecord Trial(int id, TrialStatus status, double[] unit, double? score, string? worker, bool finished = true) => new(
        id, status, Space.FromUnit(unit), unit, score, score is null ? null : id + 1, status == TrialStatus.Failed ? "boom" : null, worker,
        null, Start.AddMinutes(id), finished ? Start.AddMinutes(id).AddSeconds(42.5 + id) : null, finished ? 42.5 + id : null, 1,
        finished ? 1.0 / 3 + id : null, status == TrialStatus.Pruned ? 0 : null);

    private static readonly TrialRecord[] Trials =
    [
        Trial(0, TrialStatus.Completed, [0.1, 0.3, 0.123456789, 0.9], 0.987654321, "host-1:42"),
        Trial(1, TrialStatus.Pruned, [0.5, 0.6, 0.7, 0.1], 0.91, "host,with \"comma\""),
        Trial(2, TrialStatus.Failed, [0.9, 0.05, 0.5, 0.5], null, "host-2:7"),
        Trial(3, TrialStatus.Running, [0.4, 0.99, 0.01, 0.6], null, null, finished: false),
    ];

    private static StudyDefinition Definition(TuningObjective objective = TuningObjective.ValAccuracy) => new("data", Space.Parameters, objective);

    private static IReadOnlyList<IReadOnlyList<string>> Csv(TuningObjective objective = TuningObjective.ValAccuracy) =>
        Core.Infrastructure.Csv.Parse(StudyReport.From(Definition(objective), Trials).ToCsv(Space));

    [Fact]
    public void Given_a_study_When_written_as_csv_Then_the_header_is_the_trial_fields_the_objectives_name_and_every_hyperparameter()
    {
        Assert.Equal(["number", "status", "val_accuracy", "best_epoch", "epochs", "seconds", "worker", "started", "finished", "kind", "units", "lr", "extra"], Csv()[0]);
        Assert.Equal("val_loss", Csv(TuningObjective.ValLoss)[0][2]);
    }

    [Fact]
    public void Given_a_study_When_its_csv_is_parsed_back_Then_every_trials_fields_come_back_in_trial_order()
    {
        var rows = Csv().Skip(1).ToList();

        Assert.Equal(Trials.Length, rows.Count);
        foreach (var (row, t) in rows.Zip(Trials))
        {
            Assert.Equal(t.Id, int.Parse(row[0], CultureInfo.InvariantCulture));
            Assert.Equal(t.Status, Choice.Parse<TrialStatus>("status", row[1]));
            Assert.Equal(t.Score, Nullable(row[2], double.Parse));
            Assert.Equal(t.BestEpoch, Nullable(row[3], int.Parse));
            Assert.Equal(t.Epochs, Nullable(row[4], double.Parse));
            Assert.Equal(t.Seconds, Nullable(row[5], double.Parse));
            Assert.Equal(t.Worker ?? "", row[6]);
            Assert.Equal(t.Started, Nullable(row[7], DateTimeOffset.Parse));
            Assert.Equal(t.Finished, Nullable(row[8], DateTimeOffset.Parse));
        }
    }

    [Fact]
    public void Given_a_study_When_its_csv_is_parsed_back_Then_every_active_hyperparameter_reads_back_exactly_and_an_inactive_one_is_empty()
    {
        var rows = Csv().Skip(1).ToList();

        foreach (var (row, t) in rows.Zip(Trials))
        {
            var kind = (ChoiceParameter)Space.Parameters[0];
            Assert.Equal(t.Hyperparameters["kind"], kind.Values.ToList().IndexOf(row[9]));
            Assert.Equal(t.Hyperparameters["units"], double.Parse(row[10], CultureInfo.InvariantCulture));
            Assert.Equal(t.Hyperparameters["lr"], double.Parse(row[11], CultureInfo.InvariantCulture));
            Assert.Equal(t.Hyperparameters["kind"] == 1 ? t.Hyperparameters["extra"].ToString(CultureInfo.InvariantCulture) : "", row[12]);
        }
    }

    [Fact]
    public void Given_values_with_commas_and_quotes_When_written_as_csv_Then_they_are_quoted_with_doubled_quotes()
    {
        var text = StudyReport.From(Definition(), Trials).ToCsv(Space);

        Assert.Contains("\"host,with \"\"comma\"\"\"", text);
        Assert.Contains(",\"a,b\",", text);
        Assert.Contains(",\"say \"\"hi\"\"\",", text);
        Assert.EndsWith("\r\n", text);
    }

    [Fact]
    public void Given_fields_with_separators_When_a_record_is_written_and_parsed_Then_the_fields_come_back()
    {
        string[] fields = ["plain", "", "a,b", "say \"hi\"", "two\r\nlines", "end"];

        var parsed = Core.Infrastructure.Csv.Parse(Core.Infrastructure.Csv.Record(fields) + Core.Infrastructure.Csv.Record(["x"]));

        Assert.Equal(2, parsed.Count);
        Assert.Equal(fields, parsed[0]);
        Assert.Equal(["x"], parsed[1]);
    }

    [Fact]
    public void Given_a_seed_space_study_When_its_best_is_written_as_json_and_read_as_train_reads_it_Then_the_network_is_the_best_trials()
    {
        var space = ModelBuilder.SeedSearchSpace();
        var unit = space.Parameters.Select((_, i) => (i + 0.5) / space.Dimensions).ToArray();
        var best = new TrialRecord(4, TrialStatus.Completed, space.FromUnit(unit), unit, 0.99, 3, null, null, null, null, null, 10, 1);
        var study = MnistStudy.From(StudyReport.From(new StudyDefinition("seed", space.Parameters, TuningObjective.ValAccuracy), [best]));

        var read = Json.Deserialize<ModelConfig>(study.BestConfigJson(), "best.json");

        Assert.Equal(ModelBuilder.Configure(new HyperParameters(best.Hyperparameters)), read);
        Assert.Equal(study.BestConfig, read);
    }

    [Fact]
    public void Given_a_study_stored_with_a_smaller_space_When_shown_as_csv_Then_its_columns_are_the_stored_space()
    {
        var stored = new SearchSpace(ModelBuilder.SeedSearchSpace().Parameters.Take(2).ToArray());
        var unit = new[] { 0.25, 0.75 };
        var trial = new TrialRecord(0, TrialStatus.Completed, stored.FromUnit(unit), unit, 0.98, 2, null, null, null, null, null, 10, 1);
        var study = MnistStudy.From(StudyReport.From(new StudyDefinition("small", stored.Parameters, TuningObjective.ValAccuracy), [trial]));

        var header = Core.Infrastructure.Csv.Parse(study.ToCsv())[0];

        Assert.Equal(stored.Parameters.Select(p => p.Name), header.TakeLast(2));
        Assert.DoesNotContain(ModelBuilder.SeedSearchSpace().Parameters[2].Name, header);
    }

    [Fact]
    public void Given_a_study_without_a_completed_trial_When_its_best_is_asked_for_Then_the_error_names_the_study()
    {
        var space = ModelBuilder.SeedSearchSpace();
        var unit = space.Parameters.Select(_ => 0.5).ToArray();
        var pruned = new TrialRecord(0, TrialStatus.Pruned, space.FromUnit(unit), unit, 0.5, 1, null, null, null, null, null, 10, 1);
        var study = MnistStudy.From(StudyReport.From(new StudyDefinition("nobest", space.Parameters, TuningObjective.ValAccuracy), [pruned]));

        var error = Assert.Throws<InvalidOperationException>(() => study.BestConfigJson());

        Assert.Contains("study 'nobest' has no best trial yet", error.Message);
        Assert.Contains("1 pruned", error.Message);
    }

    private delegate T Parser<out T>(string text, IFormatProvider provider);

    private static T? Nullable<T>(string text, Parser<T> parse) where T : struct => text.Length == 0 ? null : parse(text, CultureInfo.InvariantCulture);
}
