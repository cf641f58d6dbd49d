using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Core.Inference;
using Mnist.Core.Infrastructure;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist predict</c>: one line (or JSON object) per image file.</summary>
internal static class PredictCommand
{
    private static readonly Option<string> Model = CommonOptions.Model();
    private static readonly Option<bool> AsJson = CommonOptions.Json();
    private static readonly Option<int> Tta = CommonOptions.Tta();
    private static readonly Argument<string[]> Files = new("files") { Description = "PNG or JPEG images, any size, either polarity.", Arity = ArgumentArity.OneOrMore };

    public static Command Create(CliContext context)
    {
        var command = new Command("predict", "Predict the digit in each image file.") { Model, AsJson, Tta, Files };
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var json = parse.GetValue(AsJson);
            Engine.Configure(1, DeviceKind.Cpu); // one image at a time: fastest on one libtorch thread (the process's setting, made here at the entry point)
            var tta = parse.GetValue(Tta);
            TestTimeAugmentation.Check(tta);
            using var engine = TestTimeAugmentation.Engine(Predictor.Load(parse.GetRequiredValue(Model)), tta);
            var failures = 0;
            foreach (var r in FilePredictions.Run(engine, parse.GetRequiredValue(Files)))
            {
                if (!r.Succeeded) failures++;
                if (json)
                {
                    // The one prediction contract, with the file it is about first (or the file and its error).
                    var line = r.Prediction?.ToJson() ?? new JsonObject { ["error"] = r.Error };
                    line.Insert(0, "file", r.File);
                    context.Output.WriteLine(line.ToJsonString(Json.Compact));
                }
                else if (r.Prediction is { } p)
                {
                    context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.File}: {p.Label} ({p.Confidence * 100:0.0}%)"));
                }
                else
                {
                    context.Error.WriteLine($"{r.File}: error: {r.Error}");
                }
            }
            return Task.FromResult(failures == 0 ? CliApp.Ok : CliApp.Failed);
        }));
        return command;
    }
}
