using System.Globalization;
using System.Text;
using Mnist.Core.Data;
using Mnist.Core.Inference;
using static TorchSharp.torch;

namespace Mnist.Bench;

/// <summary>One engine's inference speed: single-image latency percentiles and batch-1000 throughput.</summary>
public sealed record EngineTimes(double P50Ms, double P99Ms, double Batch1000ImgPerS);

/// <summary>How far ONNX Runtime's answers are from TorchSharp's on the same images.</summary>
public sealed record EngineParity(int Images, double MaxAbsDiff, int ArgmaxDisagreements, double TorchAccuracy, double OnnxAccuracy);

/// <summary>
/// TorchSharp (<see cref="Predictor"/>) against ONNX Runtime (<see cref="OnnxRuntimeEngine"/>, the same
/// model file exported to ONNX) with the same thread settings: libtorch's thread count is ONNX
/// Runtime's intra-op thread count, and single images run on one thread on both (libtorch set to one
/// thread for them, as <c>mnist serve</c> does; ONNX Runtime's one-thread session below
/// <see cref="OnnxRuntimeEngine.SmallBatch"/> images). The two are timed in
/// turn, call by call, so that a noisy neighbour on the machine slows both alike.
/// </summary>
public static class EngineComparison
{
    public static string OnnxRuntimeVersion => Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();

    /// <summary>Single-image latency over <paramref name="latencyRuns"/> calls and batch-1000 throughput (median of <paramref name="batchRuns"/>), each engine after a one-second warm-up.</summary>
    public static (EngineTimes Torch, EngineTimes Onnx) Time(Predictor torch, OnnxRuntimeEngine onnx, LabeledImages test, int latencyRuns, int batchRuns)
    {
        ArgumentNullException.ThrowIfNull(torch);
        ArgumentNullException.ThrowIfNull(onnx);
        var inputs = Inputs(test, 1000);
        SpeedBenchmark.WarmUp(() => torch.Predict(inputs[0]));
        SpeedBenchmark.WarmUp(() => onnx.Predict(inputs[0]));
        double[][] latencies;
        using (SpeedBenchmark.LibtorchThreads(1)) latencies = SpeedBenchmark.TimeInTurn(latencyRuns, i => torch.Predict(inputs[i % inputs.Length]), i => onnx.Predict(inputs[i % inputs.Length]));

        torch.Predict(inputs);
        onnx.Predict(inputs);
        var batches = SpeedBenchmark.TimeInTurn(batchRuns, _ => torch.Predict(inputs), _ => onnx.Predict(inputs));
        return (Summarise(latencies[0], batches[0], inputs.Length), Summarise(latencies[1], batches[1], inputs.Length));
    }

    /// <summary>Both engines on the first <paramref name="count"/> test images, in batches of 1000.</summary>
    public static EngineParity Parity(Predictor torch, OnnxRuntimeEngine onnx, LabeledImages test, int count)
    {
        ArgumentNullException.ThrowIfNull(torch);
        ArgumentNullException.ThrowIfNull(onnx);
        count = Math.Min(count, test.Count);
        var inputs = Inputs(test, count);
        double maxDiff = 0;
        int disagreements = 0, torchRight = 0, onnxRight = 0;
        for (var start = 0; start < count; start += 1000)
        {
            var batch = inputs[start..Math.Min(count, start + 1000)];
            var a = torch.Predict(batch);
            var b = onnx.Predict(batch);
            for (var i = 0; i < batch.Length; i++)
            {
                for (var c = 0; c < a[i].Probabilities.Length; c++) maxDiff = Math.Max(maxDiff, Math.Abs(a[i].Probabilities[c] - b[i].Probabilities[c]));
                if (a[i].Index != b[i].Index) disagreements++;
                var label = test.Labels[start + i];
                if (a[i].Index == label) torchRight++;
                if (b[i].Index == label) onnxRight++;
            }
        }
        return new EngineParity(count, maxDiff, disagreements, torchRight / (double)count, onnxRight / (double)count);
    }

    public static string ToMarkdown(EngineParity parity, EngineTimes torch, EngineTimes onnx, string machine, int threads, string command)
    {
        ArgumentNullException.ThrowIfNull(parity);
        ArgumentNullException.ThrowIfNull(torch);
        ArgumentNullException.ThrowIfNull(onnx);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}; threads {threads} (single images on one thread on both). Command: `{command}`.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Parity on {parity.Images} MNIST test images: max |p_onnx - p_torch| = {parity.MaxAbsDiff:E2}; argmax differs on {parity.ArgmaxDisagreements}; accuracy TorchSharp {parity.TorchAccuracy * 100:0.00}%, ONNX Runtime {parity.OnnxAccuracy * 100:0.00}%.");
        sb.AppendLine();
        sb.AppendLine("| engine | one image p50 | one image p99 | batch 1000 |");
        sb.AppendLine("|---|---|---|---|");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| TorchSharp 0.107 / libtorch 2.10 | {torch.P50Ms:0.000} ms | {torch.P99Ms:0.000} ms | {torch.Batch1000ImgPerS:0} images/s |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| ONNX Runtime {OnnxRuntimeVersion} | {onnx.P50Ms:0.000} ms | {onnx.P99Ms:0.000} ms | {onnx.Batch1000ImgPerS:0} images/s |");
        return sb.ToString();
    }

    private static float[][] Inputs(LabeledImages test, int count) =>
        Enumerable.Range(0, count).Select(i => test.Image(i % test.Count).ToArray().Select(b => b / 255f).ToArray()).ToArray();

    private static EngineTimes Summarise(double[] latencySeconds, double[] batchSeconds, int batch)
    {
        var latencies = SpeedBenchmark.Milliseconds(latencySeconds);
        var batches = batchSeconds.Order().ToArray();
        return new EngineTimes(SpeedBenchmark.Percentile(latencies, 0.5), SpeedBenchmark.Percentile(latencies, 0.99), batch / batches[batches.Length / 2]);
    }

    /// <summary>Both engines loaded from one model file, ONNX Runtime with libtorch's thread count.</summary>
    public static (Predictor Torch, OnnxRuntimeEngine Onnx) Load(string modelPath)
    {
        var torch = Predictor.Load(modelPath);
        try
        {
            return (torch, OnnxRuntimeEngine.Load(modelPath, threads: get_num_threads()));
        }
        catch
        {
            torch.Dispose();
            throw;
        }
    }
}
