using System.CommandLine;
using Mnist.Core.Infrastructure;
using Mnist.Core.Reporting;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist report</c>: one self-contained HTML page of a run, a study or a pipeline, with its pictures.</summary>
internal static class ReportCommand
{
    private static readonly Option<string> Run = new("--run", "--model")
    {
        Description = "A run folder (holding model.ckpt; --model is the same option, as in evaluate), or the --out folder of tune or pipeline. The page is written there as report.html.",
        Required = true,
    };
    private static readonly Option<string?> DataDir = CommonOptions.DataDir();
    private static readonly Option<int?> Threads = CommonOptions.Threads();
    private static readonly ChoiceOption<DeviceKind> Device = CommonOptions.Device();
    private static readonly Option<string?> Storage = CommonOptions.Storage();
    private static readonly Option<string?> Study = new("--study") { Description = "With --storage: the study to include (its pictures are drawn into the --run folder)." };

    public static Command Create(CliContext context)
    {
        var command = new Command("report", "Write RUN/report.html: numbers, pictures (drawn first where missing) and hyperparameters of a run, study or pipeline.")
        {
            Run, DataDir, Threads, Device, Storage, Study,
        };
        command.Validators.Add(r =>
        {
            if ((r.GetValue(Storage) is null) != (r.GetValue(Study) is null)) r.AddError("--storage and --study go together: the study NAME held in the storage URL");
        });
        command.SetAction((parse, ct) => CliApp.Guard(context, async () =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, context.Cancellation);
            var outcome = await RunReport.WriteAsync(ToRequest(parse), context.Error, linked.Token).ConfigureAwait(false);
            foreach (var drawn in outcome.Drawn) context.Output.WriteLine($"Drew {drawn}.png and .svg");
            context.Output.WriteLine($"Report: {outcome.Path} ({outcome.Runs.Count} run(s), {outcome.Studies.Count} study(ies))");
            return CliApp.Ok;
        }));
        return command;
    }

    public static ReportRequest ToRequest(ParseResult parse) => new()
    {
        Dir = parse.GetRequiredValue(Run),
        DataDir = parse.GetValue(DataDir),
        Threads = parse.GetValue(Threads),
        Device = Device.Read(parse),
        Storage = parse.GetValue(Storage),
        Study = parse.GetValue(Study),
    };
}
