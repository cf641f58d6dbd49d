using System.CommandLine;
using System.Globalization;
using Mnist.Core.Inference;
using Mnist.Core.Infrastructure;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist predict</c>: one line (or JSON object) per image file.</summary>
internal static class PredictCommand
{
    private static readonly Option<string> Model = CommonOptions.Model();
    private static readonly Option<bool> AsJson = CommonOptions.Json();
    private static readonly Argument<string[]> Files = new("files") { Description = "PNG or JPEG images, any size, either polarity.", Arity = ArgumentArity.OneOrMore };

    public static Command Create(CliContext context)
    {
        var command = new Command("predict", "Predict the digit in each image file.") { Model, AsJson, Files };
        command.SetAction(parse => CliApp.Guard(context, () =>
        {
            var json = parse.GetValue(AsJson);
            using var predictor = Predictor.Load(parse.GetRequiredValue(Model));
            var failures = 0;
            foreach (var r in FilePredictions.Run(predictor, parse.GetRequiredValue(Files)))
            {
                if (!r.Succeeded) failures++;
                if (json)
                {
                    context.Output.WriteLine(Json.Serialize(r.Prediction is { } p
                        ? new PredictionLine(r.File, p.Label, p.Probabilities.Select(v => Math.Round((double)v, 6)).ToArray(), null)
                        : new PredictionLine(r.File, null, null, r.Error), indented: false));
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

    private sealed record PredictionLine(string File, string? Digit, double[]? Probabilities, string? Error);
}
