using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Samples;
using Mnist.Web;

namespace Mnist.Bench;

/// <summary>
/// The web app running in this process on a free loopback port, built as <c>mnist serve</c> builds
/// it (libtorch set to the options' inference threads for as long as it runs); disposing stops it.
/// The benchmarks that time <c>POST /api/predict</c> start it this way.
/// </summary>
public sealed class InProcessServer : IDisposable
{
    private readonly IDisposable _threads;
    private readonly WebApplication _app;

    /// <summary>One drawn digit as the page sends it: a PNG of the pad.</summary>
    public static byte[] DrawnDigitPng() => DigitStrokes.RenderPng(3, 140, 12.5, 20, 20, 100);

    public InProcessServer(ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _threads = SpeedBenchmark.LibtorchThreads(options.InferenceThreads);
        try
        {
            _app = WebApp.Build(options with { Urls = "http://127.0.0.1:0" });
            _app.StartAsync().GetAwaiter().GetResult();
            Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }
        catch
        {
            ((IDisposable?)_app)?.Dispose();
            _threads.Dispose();
            throw;
        }
    }

    /// <summary>Where it listens: http://127.0.0.1:PORT/.</summary>
    public Uri Address { get; }

    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        _threads.Dispose();
    }
}
