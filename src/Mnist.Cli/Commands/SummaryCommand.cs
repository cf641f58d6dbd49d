using System.CommandLine;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist summary</c>: Keras's model.summary() for the seed model or a model file.</summary>
internal static class SummaryCommand
{
    private static readonly Option<string?> Model = new("--model") { Description = "A run folder or model file (default: the seed's final model)." };
    private static readonly Option<bool> AsJson = CommonOptions.Json();

    public static Command Create(CliContext context)
    {
        var command = new Command("summary", "Print the network's layers, output shapes and parameter counts.") { Model, AsJson };
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var config = parse.GetValue(Model) is { } m
                ? ModelFile.Read(RunFolder.ModelPathOf(m)).Manifest.Hyperparameters
                : ModelConfig.Seed;
            var summary = ModelSummary.For(config);
            context.Output.WriteLine(parse.GetValue(AsJson) ? Json.Serialize(summary) : summary.ToText());
            return Task.FromResult(CliApp.Ok);
        }));
        return command;
    }
}
