using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Core.Inference;
using Mnist.Web;

namespace Mnist.Cli.Commands;

/// <summary><c>mnist serve</c>: the web page and its API, until Ctrl+C.</summary>
internal static class ServeCommand
{
    private static readonly Option<string> Model = CommonOptions.Model();
    private static readonly Option<string> Urls = new("--urls")
    {
        Description = "Where to listen (semicolon-separated; port 0 picks a free port).",
        DefaultValueFactory = _ => "http://127.0.0.1:5000",
    };
    private static readonly Option<long> MaxBodyBytes = new("--max-body-bytes")
    {
        Description = "The largest request body accepted, in bytes.",
        DefaultValueFactory = _ => ServeOptions.DefaultMaxBodyBytes,
    };
    private static readonly Option<int> MaxImageSide = new("--max-image-side")
    {
        Description = "Images wider or taller than this are refused before decoding.",
        DefaultValueFactory = _ => ImageLimits.Default.MaxSide,
    };
    private static readonly Option<int> Threads = new("--threads")
    {
        Description = "Threads for the forward passes, libtorch's or ONNX Runtime's (the other cores serve requests).",
        DefaultValueFactory = _ => 1,
    };
    private static readonly Option<int> Tta = CommonOptions.Tta();
    private static readonly ChoiceOption<InferenceEngineKind> EngineOption = new("--engine",
        "What runs the forward passes: torch (TorchSharp) or onnx (ONNX Runtime, on the model exported to ONNX at start).",
        InferenceEngineKind.Torch);

    public static Command Create(CliContext context)
    {
        var command = new Command("serve", "Serve the drawing page and the prediction API for a model.") { Model, Urls, MaxBodyBytes, MaxImageSide, Threads, EngineOption, Tta };
        command.SetAction(parse => CliApp.Guard(context, async () =>
        {
            var options = ToOptions(parse);
            Core.Infrastructure.Engine.Configure(options.InferenceThreads, Core.Infrastructure.DeviceKind.Cpu); // libtorch's threads are the process's: set here, at the entry point
            await using var app = WebApp.Build(options);
            await WebCommand.StartAsync(app, options.Urls, context).ConfigureAwait(false);
            return await WebCommand.RunUntilStoppedAsync(app, context, addresses =>
                $"Serving {options.Model} with {app.Services.GetRequiredService<IInferenceEngine>().Runtime} at {addresses} (Ctrl+C stops)").ConfigureAwait(false);
        }));
        return command;
    }

    internal static ServeOptions ToOptions(ParseResult parse)
    {
        var side = parse.GetValue(MaxImageSide);
        if (side <= 0) throw new ArgumentException($"--max-image-side must be positive (got {side})");
        return new ServeOptions
        {
            Model = parse.GetRequiredValue(Model),
            Urls = parse.GetRequiredValue(Urls),
            MaxBodyBytes = parse.GetValue(MaxBodyBytes),
            ImageLimits = new ImageLimits(side, Math.Min(ImageLimits.Default.MaxPixels, (long)side * side)),
            InferenceThreads = parse.GetValue(Threads),
            Engine = EngineOption.Read(parse),
            TestTimeVariants = parse.GetValue(Tta),
        };
    }
}
