using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnist.Core.Inference;
using Mnist.Core.Model;

namespace Mnist.Web;

/// <summary>How <c>mnist serve</c> runs.</summary>
public sealed record ServeOptions
{
    public const long DefaultMaxBodyBytes = 2 * 1024 * 1024;

    /// <summary>A run folder or a model file.</summary>
    public required string Model { get; init; }

    /// <summary>Where Kestrel listens; port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5000";

    /// <summary>The largest request body accepted (an image, or a multipart form holding one).</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>Image dimensions refused before decoding.</summary>
    public ImageLimits ImageLimits { get; init; } = ImageLimits.Default;

    /// <summary>
    /// Threads for the forward passes (libtorch's, or ONNX Runtime's intra-op threads). One by
    /// default: the other cores decode and preprocess requests, and libtorch's idle worker threads
    /// spin, taking their time (bench/results.md, the web app under load). ONNX Runtime's are its
    /// session's; libtorch's are the process's, which the host sets (<c>mnist serve</c> does, with
    /// <see cref="Core.Infrastructure.Engine.Configure"/>): building the app changes no process setting.
    /// </summary>
    public int InferenceThreads { get; init; } = 1;

    /// <summary>
    /// What runs the forward passes: TorchSharp, or ONNX Runtime on the network exported to ONNX
    /// from the same model file when the app starts. The page, the API and the model card are the same.
    /// </summary>
    public InferenceEngineKind Engine { get; init; } = InferenceEngineKind.Torch;

    /// <summary>Test-time augmentation: each prediction the mean over the input and this many fixed variants of it (<see cref="TestTimeAugmentation"/>); 0 for none.</summary>
    public int TestTimeVariants { get; init; }
}

/// <summary>
/// The web app: one page (embedded in this assembly), the prediction API and the model card.
/// The model is loaded once, on the engine the options name (TorchSharp or ONNX Runtime).
/// Requests decode and preprocess their images concurrently; the forward passes run on one
/// thread (<see cref="InferenceQueue"/>), which batches the inputs that arrive while it is busy:
/// TorchSharp does not promise that one module may run forward on several threads at once.
/// </summary>
public static class WebApp
{
    /// <summary>Multipart framing around the image is allowed on top of the body limit.</summary>
    public const long MultipartAllowance = 16 * 1024;

    public static WebApplication Build(ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Core.Infrastructure.SettingException.Check(options.MaxBodyBytes > 0, "max_body_bytes", options.MaxBodyBytes, "must be positive");
        TestTimeAugmentation.Check(options.TestTimeVariants);
        var engine = TestTimeAugmentation.Engine(InferenceEngines.Load(options.Engine, options.Model, options.InferenceThreads), options.TestTimeVariants);
        try
        {
            var card = ModelCard.From(engine.Path, engine.Contents, engine.TestTimeVariants);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.WebHost.UseUrls(options.Urls);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = options.MaxBodyBytes + MultipartAllowance;
            });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddProblemDetails();
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(engine);
            builder.Services.AddSingleton(new InferenceQueue(engine));
            builder.Services.AddSingleton(card);
            configure?.Invoke(builder);

            var app = builder.Build();
            app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode : StatusCodes.Status500InternalServerError });
            app.UseStatusCodePages();
            ResponseHeaders.UseNoSniff(app);
            StaticAssets.Map(app);
            app.MapPost("/api/predict", PredictEndpoint.Handle);
            app.MapGet("/api/model", (ModelCard c) => Results.Json(c, Core.Infrastructure.Json.Compact));
            app.MapGet(PlotsEndpoint.Route, PlotsEndpoint.Handle);
            app.MapGet("/healthz", (IInferenceEngine e) => Results.Json(new Health("ok", e.Manifest.Dataset, e.Manifest.Epoch, e.Kind), Core.Infrastructure.Json.Compact));
            app.Lifetime.ApplicationStopped.Register(() =>
            {
                app.Services.GetRequiredService<InferenceQueue>().Dispose();
                engine.Dispose();
            });
            return app;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>What <c>/healthz</c> answers; the engine is written as its name (<see cref="Core.Infrastructure.Choice"/>), torch or onnx.</summary>
    private sealed record Health(string Status, string Dataset, int Epoch, InferenceEngineKind Engine);
}

