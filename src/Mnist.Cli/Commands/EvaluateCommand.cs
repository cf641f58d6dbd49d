using System.CommandLine;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist evaluate</c>: loss and accuracy on the test set (or the validation split), per-class metrics, confusion matrix.</summary>
internal static class EvaluateCommand
{
    private static readonly Option<string> Model = CommonOptions.Model();
    private static readonly Option<string?> DataDir = CommonOptions.DataDir();
    private static readonly Option<bool> AsJson = CommonOptions.Json();
    private static readonly Option<int> Tta = CommonOptions.Tta();
    private static readonly Option<int?> Threads = CommonOptions.Threads();
    private static readonly ChoiceOption<DeviceKind> Device = CommonOptions.Device();
    private static readonly ChoiceOption<EvaluationSplit> Split = new("--split",
        "test (report, once) or validation: the part of the training file the model never trained on (its own options; an ensemble's members must share one split), for choosing settings such as --tta.",
        EvaluationSplit.Test);

    public static Command Create(CliContext context)
    {
        var command = new Command("evaluate", "Evaluate a model file on the test set, or on the validation split it held out.") { Model, DataDir, AsJson, Tta, Split, Threads, Device };
        command.SetAction((parse, ct) => CliApp.Guard(context, async () =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, context.Cancellation);
            var result = await EvaluationRun.RunAsync(
                parse.GetRequiredValue(Model), parse.GetValue(DataDir), parse.GetValue(Threads), Device.Read(parse), parse.GetValue(Tta),
                Split.Read(parse), parse.GetValue(AsJson) ? TextWriter.Null : context.Error, linked.Token).ConfigureAwait(false);
            context.Output.WriteLine(parse.GetValue(AsJson) ? result.ToJson() : result.ToText());
            return CliApp.Ok;
        }));
        return command;
    }
}
