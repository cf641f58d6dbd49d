using System.CommandLine;
using Mnist.Core.Interchange;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist export</c>: a model file's network as an ONNX graph of standard operators.</summary>
internal static class ExportCommand
{
    private static readonly Option<string> Model = CommonOptions.Model();
    private static readonly ChoiceOption<ExportFormat> Format = new("--format",
        "The interchange format (onnx: opset 17, input 'input' [N,1,28,28] pixels in [0,1], output 'probabilities' [N,10]).",
        ExportFormat.Onnx);
    private static readonly Option<string> Out = new("--out")
    {
        Description = "The file to write (e.g. model.onnx); written atomically, replacing any file there.",
        Required = true,
    };

    public static Command Create(CliContext context)
    {
        var command = new Command("export", "Export a model file to ONNX, for ONNX Runtime and other runtimes.") { Model, Format, Out };
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var (model, output) = ToRequest(parse);
            context.Output.WriteLine(OnnxExporter.Export(model, output).ToText());
            return Task.FromResult(CliApp.Ok);
        }));
        return command;
    }

    /// <summary>The model file (or run folder) and the output path.</summary>
    internal static (string Model, string Out) ToRequest(ParseResult parse) =>
        (parse.GetRequiredValue(Model), parse.GetRequiredValue(Out));
}
