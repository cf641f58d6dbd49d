using System.Diagnostics;
using System.Globalization;
using Mnist.Samples;
using Mnist.Web;

namespace Mnist.Bench;

/// <summary>
/// A load test of POST /api/predict with wrk on loopback: the app runs in this process on a
/// free port, wrk in its own process posts a drawn digit (PNG) over keep-alive connections for
/// a bounded time, and its Lua <c>done</c> hook prints the exact figures.
/// </summary>
public static class HttpLoad
{
    public const int Connections = 16;

    private const string Script = """
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "image/png"
        local f = assert(io.open(os.getenv("MNIST_BENCH_BODY"), "rb"))
        wrk.body = f:read("*all")
        f:close()
        done = function(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("RESULT %d %f %f %f %d\n", summary.requests, summary.duration / 1e6,
            latency:percentile(50) / 1000, latency:percentile(99) / 1000,
            e.connect + e.read + e.write + e.status + e.timeout))
        end
        """;

    public static string? FindWrk() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "wrk")).FirstOrDefault(File.Exists);

    public static (double Rps, double P50, double P99, long Errors)? Run(string modelPath, double seconds, TextWriter log)
    {
        if (FindWrk() is not { } wrk) return null;
        using var dir = new TempDir();
        var body = dir.File("digit.png");
        File.WriteAllBytes(body, InProcessServer.DrawnDigitPng());
        var script = dir.File("post.lua");
        File.WriteAllText(script, Script);

        using var server = new InProcessServer(new ServeOptions { Model = modelPath });
        var url = new Uri(server.Address, "/api/predict").ToString();
        Wrk(wrk, script, body, url, Math.Max(1, seconds / 2)); // warm-up: tiered JIT, connection pools
        var r = Wrk(wrk, script, body, url, seconds);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrk -t1 -c{Connections} -d{seconds}s: {r.Requests} requests"));
        return (r.Requests / r.Seconds, r.P50, r.P99, r.Errors);
    }

    private static (long Requests, double Seconds, double P50, double P99, long Errors) Wrk(string wrk, string script, string body, string url, double seconds)
    {
        var start = new ProcessStartInfo(wrk)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-t1", $"-c{Connections}", string.Create(CultureInfo.InvariantCulture, $"-d{Math.Max(1, (int)Math.Round(seconds))}s"), "-s", script, url })
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["MNIST_BENCH_BODY"] = body;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{wrk} did not start");
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result (exit {process.ExitCode}): {output} {error}");
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture),
            double.Parse(f[3], CultureInfo.InvariantCulture), double.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture));
    }
}
