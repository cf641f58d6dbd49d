using System.CommandLine;
using Mnist.Cli.Commands;
using Mnist.Core.Data;
using Mnist.Core.Inference;

namespace Mnist.Cli;

/// <summary>The <c>mnist</c> command: parsing here, one Core call per command.</summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Interrupted = 130;

    public static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("Handwritten-digit recognition on TorchSharp: train, tune, evaluate, predict, serve, export.");
        root.Subcommands.Add(TrainCommand.Create(context));
        root.Subcommands.Add(EvaluateCommand.Create(context));
        root.Subcommands.Add(PredictCommand.Create(context));
        root.Subcommands.Add(SummaryCommand.Create(context));
        root.Subcommands.Add(TuneCommand.Create(context));
        root.Subcommands.Add(StudyCommand.Create(context));
        root.Subcommands.Add(PipelineCommand.Create(context));
        root.Subcommands.Add(EnsembleCommand.Create(context));
        root.Subcommands.Add(ServeCommand.Create(context));
        root.Subcommands.Add(DashboardCommand.Create(context));
        root.Subcommands.Add(ExportCommand.Create(context));
        root.Subcommands.Add(ReportCommand.Create(context));
        return root;
    }

    public static ParseResult Parse(string[] args, CliContext? context = null) =>
        BuildRoot(context ?? new CliContext(TextWriter.Null, TextWriter.Null)).Parse(args);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            error.WriteLine("Interrupted: finishing nothing more; the last completed epoch is saved.");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var context = new CliContext(output, error, cts.Token);
            var parse = BuildRoot(context).Parse(args);
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cts.Token).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Runs a command body, turning the errors a user can cause into one clear line and an exit code.</summary>
    internal static async Task<int> Guard(CliContext context, Func<Task<int>> body, IReadOnlyDictionary<string, string>? flags = null)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("Interrupted.");
            return Interrupted;
        }
        catch (Core.Infrastructure.SettingException e)
        {
            context.Error.WriteLine($"error: {CliFlags.Describe(e, flags)}");
            return Failed;
        }
        catch (DataUnavailableException e)
        {
            context.Error.WriteLine($"error: {e.Message} (--data-dir names the folder.)");
            return Failed;
        }
        catch (Exception e) when (e is IdxFormatException or Core.Tuning.TuningFailedException or DataUnavailableException or InvalidDataException or ImageRejectedException
                                       or ArgumentException or InvalidOperationException or FileNotFoundException
                                       or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"error: {e.Message}");
            return Failed;
        }
    }
}

/// <summary>Where commands write, and the token that Ctrl+C cancels.</summary>
public sealed record CliContext(TextWriter Output, TextWriter Error, CancellationToken Cancellation = default)
{
    public bool Interactive { get; init; } = !Console.IsOutputRedirected;
}
