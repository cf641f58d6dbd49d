using System.CommandLine;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist study show|best|importance STUDY</c>: a stored study read as data; Core does the work, one call each.</summary>
internal static class StudyCommand
{
    private static Argument<string> StudyPath() => new("study") { Description = "DIR/NAME of a SQLite study (the file DIR/NAME.db), or with --storage the study's NAME." };

    public static Command Create(CliContext context) =>
        new("study", "Inspect hyperparameter studies.") { Show(context), Best(context), Importance(context) };

    private static Command Show(CliContext context)
    {
        var path = StudyPath();
        var storage = CommonOptions.Storage();
        var asJson = CommonOptions.Json();
        var asCsv = new Option<bool>("--csv")
        {
            Description = "Print one row per trial as CSV (RFC 4180), as Optuna's trials_dataframe(): number, status, the objective's score, best_epoch, epochs, seconds, worker, started, finished, then one column per hyperparameter (empty when inactive).",
        };
        var show = new Command("show", "Show a study's trials, sorted by score, and its best trial.") { path, storage, asJson, asCsv };
        show.Validators.Add(result =>
        {
            if (result.GetValue(asJson) && result.GetValue(asCsv)) result.AddError("--json and --csv: choose one output format");
        });
        show.SetAction(parse => CliApp.Guard(context, () =>
        {
            var report = TuneRun.Show(parse.GetRequiredValue(path), parse.GetValue(storage));
            if (parse.GetValue(asCsv)) context.Output.Write(report.ToCsv());
            else context.Output.WriteLine(parse.GetValue(asJson) ? report.ToJson() : report.ToText());
            return Task.FromResult(CliApp.Ok);
        }));
        return show;
    }

    private static Command Best(CliContext context)
    {
        var path = StudyPath();
        var storage = CommonOptions.Storage();
        var asJson = new Option<bool>("--json") { Description = "Print the best trial's network as the JSON file that mnist train --hyperparameters reads." };
        var outFile = new Option<string?>("--out") { Description = "Write that JSON file here (then train with: mnist train --hyperparameters FILE)." };
        var best = new Command("best", "The best trial's hyperparameters: as text, or as the JSON file mnist train --hyperparameters reads.") { path, storage, asJson, outFile };
        best.SetAction(parse => CliApp.Guard(context, () =>
        {
            var study = TuneRun.Show(parse.GetRequiredValue(path), parse.GetValue(storage));
            context.Output.Write(parse.GetValue(outFile) is { } file ? study.WriteBestConfig(file) + Environment.NewLine
                : parse.GetValue(asJson) ? study.BestConfigJson() + Environment.NewLine
                : study.BestToText());
            return Task.FromResult(CliApp.Ok);
        }));
        return best;
    }

    private static Command Importance(CliContext context)
    {
        var path = StudyPath();
        var storage = CommonOptions.Storage();
        var asJson = CommonOptions.Json();
        var seed = new Option<int>("--seed") { Description = "Seed of the random forest (its bootstrap samples and split orders).", DefaultValueFactory = _ => 0 };
        var rung = new Option<int?>("--rung")
        {
            Description = "Fit every completed or pruned trial's value at this pruner rung (all after the same epochs) instead of the completed trials' final scores.",
            Validators = { r => { if (r.GetValueOrDefault<int?>() is < 0) r.AddError("--rung must be 0 or more"); } },
        };
        var command = new Command("importance", "Hyperparameter importance by functional ANOVA (Optuna's fANOVA evaluator): each hyperparameter's share of the variance of the score that single hyperparameters explain.")
        {
            path, storage, asJson, seed, rung,
        };
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var report = TuneRun.Importance(parse.GetRequiredValue(path), parse.GetValue(storage), parse.GetValue(seed), parse.GetValue(rung));
            context.Output.Write(parse.GetValue(asJson) ? Json.Serialize(report) + Environment.NewLine : report.ToText());
            return Task.FromResult(CliApp.Ok);
        }));
        return command;
    }
}
