using System.CommandLine;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist evaluate</c>: test loss and accuracy, per-class metrics, confusion matrix.</summary>
internal static class EvaluateCommand
{
    private static readonly Option<string> Model = CommonOptions.Model();
    private static readonly Option<string?> DataDir = CommonOptions.DataDir();
    private static readonly Option<bool> AsJson = CommonOptions.Json();
    private static readonly Option<int> Tta = CommonOptions.Tta();
    private static readonly Option<int?> Threads = CommonOptions.Threads();
    private static readonly ChoiceOption<DeviceKind> Device = CommonOptions.Device();

    public static Command Create(CliContext context)
    {
        var command = new Command("evaluate", "Evaluate a model file on the test set.") { Model, DataDir, AsJson, Tta, Threads, Device };
        command.SetAction((parse, ct) => CliApp.Guard(context, async () =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, context.Cancellation);
            var result = await EvaluationRun.RunAsync(
                parse.GetRequiredValue(Model), parse.GetValue(DataDir), parse.GetValue(Threads), Device.Read(parse), parse.GetValue(Tta),
                parse.GetValue(AsJson) ? TextWriter.Null : context.Error, linked.Token).ConfigureAwait(false);
            context.Output.WriteLine(parse.GetValue(AsJson) ? Json.Serialize(result) : result.ToText());
            return CliApp.Ok;
        }));
        return command;
    }
}
