using System.Globalization;
using System.Text;
using Mnist.Core.Infrastructure;

namespace Mnist.Core.Tuning;

/// <summary>A study at a glance: its trials sorted by score, and the best one with its hyperparameters. It knows nothing of what the trials train.</summary>
public sealed record StudyReport(
    string Study,
    TuningObjective Objective,
    IReadOnlyList<TrialRecord> Trials,
    TrialRecord? Best)
{
    public static StudyReport From(IStudyStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return From(store.Definition, store.Trials());
    }

    public static StudyReport From(StudyDefinition d, IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(trials);
        var completed = d.Goal.Ranked(trials);
        var sorted = completed.Concat(trials.Where(t => !completed.Contains(t)).OrderBy(t => t.Id)).ToList();
        var best = completed.FirstOrDefault();
        return new StudyReport(d.Name, d.Objective, sorted, best) { Space = new SearchSpace(d.Space) };
    }

    /// <summary>The search space the study stored (its trials' hyperparameters are of it); not part of the JSON report.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SearchSpace? Space { get; init; }

    public int Completed => Trials.Count(t => t.Status == TrialStatus.Completed);
    public int Pruned => Trials.Count(t => t.Status == TrialStatus.Pruned);
    public int Failed => Trials.Count(t => t.Status == TrialStatus.Failed);

    /// <summary>Epochs trained by every trial together (fractional where the pruner stopped one inside an epoch).</summary>
    public double EpochsTrained => Trials.Sum(t => t.Epochs ?? 0);

    /// <summary>
    /// The trials as a table of data (Optuna's <c>trials_dataframe()</c>), RFC 4180 CSV, one row per
    /// trial in trial order: <see cref="CsvColumns"/>, then one column per hyperparameter, empty
    /// where it is inactive (a choice by its name, a number as it reads back exactly). Numbers and
    /// times are invariant: round-trip numbers, ISO 8601 times; a missing value is an empty field.
    /// </summary>
    public string ToCsv(SearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(Csv.Record(CsvColumns(Tuning.Objective.Of(Objective)).Concat(space.Parameters.Select(p => p.Name))));
        foreach (var t in Trials.OrderBy(t => t.Id))
        {
            sb.Append(Csv.Record(new[]
            {
                t.Id.ToString(inv),
                Choice.Name(t.Status),
                t.Score?.ToString("R", inv),
                t.BestEpoch?.ToString(inv),
                t.Epochs?.ToString("R", inv),
                t.Seconds?.ToString("R", inv),
                t.Worker,
                t.Started?.ToString("O", inv),
                t.Finished?.ToString("O", inv),
            }.Concat(space.Parameters.Select(p => t.Hyperparameters.TryGetValue(p.Name, out var v) && space.IsActive(p, t.Hyperparameters) ? CsvValue(p, v) : null))));
        }
        return sb.ToString();
    }

    /// <summary>The columns of <see cref="ToCsv"/> before the hyperparameters': the score's is the objective's name.</summary>
    public static IReadOnlyList<string> CsvColumns(Objective goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        return ["number", "status", goal.Name, "best_epoch", "epochs", "seconds", "worker", "started", "finished"];
    }

    /// <summary>A hyperparameter's value in the CSV: a choice's name, an integer, or a float that reads back to the same double.</summary>
    public static string CsvValue(HyperParameter parameter, double value) => parameter switch
    {
        ChoiceParameter c => c.Format(value),
        IntParameter => ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public string ToText(SearchSpace space)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var metric = Tuning.Objective.Of(Objective).Name;
        var running = Trials.Count(t => t.Status is TrialStatus.Running or TrialStatus.Queued);
        sb.AppendLine(inv, $"Study '{Study}': {Trials.Count} trials ({Completed} completed, {Pruned} pruned, {Failed} failed{(running > 0 ? $", {running} running or queued" : "")}), objective {metric}; {EpochsTrained:0.##} epochs trained in all");
        var names = space.Parameters.Select(p => p.Name).ToList();
        var header = new[] { "trial", "status", metric, "best epoch", "epochs", "seconds" }.Concat(names).ToArray();
        var rows = Trials.Select(t => new[]
        {
            t.Id.ToString(inv),
            t.Status == TrialStatus.Pruned && t.Rung is { } rung ? $"pruned@{rung}" : Choice.Name(t.Status),
            t.Score is { } s ? s.ToString("0.0000", inv) : "-",
            t.BestEpoch is { } be and > 0 ? be.ToString(inv) : "-",
            t.Epochs is { } ep ? ep.ToString("0.##", inv) : "-",
            t.Seconds is { } sec ? sec.ToString("0", inv) : "-",
        }.Concat(space.Parameters.Select(p => t.Hyperparameters.TryGetValue(p.Name, out var v) && space.IsActive(p, t.Hyperparameters) ? p.Format(v) : "-")).ToArray()).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        sb.AppendLine(string.Join("  ", header.Select((h, i) => h.PadLeft(widths[i]))));
        foreach (var r in rows) sb.AppendLine(string.Join("  ", r.Select((c, i) => c.PadLeft(widths[i]))));
        foreach (var t in Trials.Where(t => t.Status == TrialStatus.Failed)) sb.AppendLine(inv, $"trial {t.Id} failed: {t.Message}");
        if (Pruned > 0) sb.AppendLine("pruned@k: stopped by the pruner at rung k; its score is its value there.");
        if (Best is not null)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"Best trial {Best.Id}: {metric} {Best.Score:0.0000} at epoch {Best.BestEpoch}");
            sb.AppendLine("  " + space.Format(Best.Hyperparameters));
        }
        return sb.ToString();
    }
}
