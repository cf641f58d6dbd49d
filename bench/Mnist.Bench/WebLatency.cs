using System.Diagnostics;
using Mnist.Web;

namespace Mnist.Bench;

/// <summary>The time one drawn digit takes through the web API, in process: request to answer, one at a time, with the forward passes on <see cref="Threads"/> threads (as <c>mnist serve --threads</c>).</summary>
public sealed record WebLatencyResult(int Requests, double P50Ms, double P99Ms, int Threads = 1);

/// <summary>
/// One drawn digit (what the page sends: a PNG of the pad) posted to <c>POST /api/predict</c> of
/// the web app running in this process on loopback, one request at a time, after a warm-up: the
/// latency a person drawing on the page sees, less the network. The app is built as
/// <c>mnist serve</c> builds it (one thread for the forward passes unless told, as <c>serve --threads</c>), with the given test-time variants.
/// </summary>
public static class WebLatency
{
    public static WebLatencyResult Measure(string modelPath, int testTimeVariants, Core.Inference.InferenceEngineKind engine, int threads = 1, int requests = 300, int warmUp = 30)
    {
        using var server = new InProcessServer(new ServeOptions { Model = modelPath, TestTimeVariants = testTimeVariants, Engine = engine, InferenceThreads = threads });
        using var client = new HttpClient { BaseAddress = server.Address };
        var png = InProcessServer.DrawnDigitPng();
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
        return new WebLatencyResult(requests, Percentile(times, 0.50), Percentile(times, 0.99), threads);
    }

    private static double Percentile(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
