using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Samples;
using Mnist.Web;

namespace Mnist.Bench;

/// <summary>The time one drawn digit takes through the web API, in process: request to answer, one at a time.</summary>
public sealed record WebLatencyResult(int Requests, double P50Ms, double P99Ms);

/// <summary>
/// One drawn digit (what the page sends: a PNG of the pad) posted to <c>POST /api/predict</c> of
/// the web app running in this process on loopback, one request at a time, after a warm-up: the
/// latency a person drawing on the page sees, less the network. The app is built as
/// <c>mnist serve</c> builds it (one libtorch thread), with the given test-time variants.
/// </summary>
public static class WebLatency
{
    public static WebLatencyResult Measure(string modelPath, int testTimeVariants, Core.Inference.InferenceEngineKind engine, int requests = 300, int warmUp = 30)
    {
        var options = new ServeOptions { Model = modelPath, Urls = "http://127.0.0.1:0", TestTimeVariants = testTimeVariants, Engine = engine };
        using var threads = SpeedBenchmark.LibtorchThreads(options.InferenceThreads);
        var app = WebApp.Build(options);
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var png = DigitStrokes.RenderPng(3, 140, 12.5, 20, 20, 100);
            var times = new List<double>(requests);
            for (var i = 0; i < warmUp + requests; i++)
            {
                using var body = new ByteArrayContent(png);
                body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
                var clock = Stopwatch.StartNew();
                using var response = client.PostAsync(new Uri("/api/predict", UriKind.Relative), body).GetAwaiter().GetResult();
                response.EnsureSuccessStatusCode();
                _ = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                if (i >= warmUp) times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return new WebLatencyResult(requests, Percentile(times, 0.50), Percentile(times, 0.99));
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
            ((IAsyncDisposable)app).DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static double Percentile(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
