using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Web.Dashboard;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist dashboard</c>: a read-only page that follows hyperparameter studies as they run, until Ctrl+C.</summary>
internal static class DashboardCommand
{
    private static readonly Option<string?> Storage = new("--storage")
    {
        Description = "The studies' storage: postgresql://user:password@host:port/database (every study in it), or sqlite:///PATH.db (its study).",
    };
    private static readonly Option<string?> Study = new("--study")
    {
        Description = "DIR/NAME of a SQLite study (the file DIR/NAME.db), or a folder DIR (every NAME.db in it); with --storage, only the study NAME.",
    };
    private static readonly Option<string> Urls = new("--urls")
    {
        Description = "Where to listen (semicolon-separated; port 0 picks a free port).",
        DefaultValueFactory = _ => new DashboardOptions().Urls,
    };

    public static Command Create(CliContext context)
    {
        var command = new Command("dashboard", "Watch hyperparameter studies in the browser as they run (read-only): history, curves, parallel coordinates, slices, trials.") { Storage, Study, Urls };
        command.Validators.Add(result =>
        {
            if (result.GetValue(Storage) is null && result.GetValue(Study) is null) result.AddError("give --storage URL or --study DIR/NAME (or a folder DIR of studies)");
        });
        command.SetAction(parse => CliApp.Guard(context, async () =>
        {
            var options = ToOptions(parse);
            await using var app = DashboardApp.Build(options);
            await WebCommand.StartAsync(app, options.Urls, context).ConfigureAwait(false);
            return await WebCommand.RunUntilStoppedAsync(app, context, addresses =>
                $"Dashboard of {app.Services.GetRequiredService<Core.Tuning.StudySource>().Display} at {addresses} (read-only; Ctrl+C stops)").ConfigureAwait(false);
        }));
        return command;
    }

    internal static DashboardOptions ToOptions(ParseResult parse) => new()
    {
        Storage = parse.GetValue(Storage),
        Study = parse.GetValue(Study),
        Urls = parse.GetRequiredValue(Urls),
    };
}
