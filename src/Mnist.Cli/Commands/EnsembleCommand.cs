using System.CommandLine;
using Mnist.Core.Infrastructure;
using Mnist.Core.Jobs;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist ensemble</c>: trained models as one model file that averages their probabilities.</summary>
internal static class EnsembleCommand
{
    private static readonly Option<string> Out = new("--out")
    {
        Description = "Folder to write the ensemble's model.ckpt, its test evaluation, mistakes and pictures into.",
        Required = true,
    };

    private static readonly Option<string[]> Models = new("--models")
    {
        Description = "Two or more run folders (holding model.ckpt) or model files, the members.",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    private static readonly Option<string?> DataDir = CommonOptions.DataDir();
    private static readonly Option<bool> AsJson = CommonOptions.Json();
    private static readonly Option<int?> Threads = CommonOptions.Threads();
    private static readonly ChoiceOption<DeviceKind> Device = CommonOptions.Device();

    public static Command Create(CliContext context)
    {
        var command = new Command("ensemble", "Combine trained models into one model file (the mean of their probabilities) and evaluate it on the test set.")
        {
            Out, Models, DataDir, AsJson, Threads, Device,
        };
        command.SetAction((parse, ct) => CliApp.Guard(context, async () =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, context.Cancellation);
            var outcome = await EnsembleRun.RunAsync(new EnsembleRequest
            {
                OutDir = parse.GetRequiredValue(Out),
                Models = parse.GetRequiredValue(Models),
                DataDir = parse.GetValue(DataDir),
                Threads = parse.GetValue(Threads),
                Device = Device.Read(parse),
            }, parse.GetValue(AsJson) ? TextWriter.Null : context.Error, linked.Token).ConfigureAwait(false);
            context.Output.WriteLine(parse.GetValue(AsJson) ? Json.Serialize(outcome) : outcome.ToText());
            return CliApp.Ok;
        }));
        return command;
    }
}
