using System.Globalization;
using System.Text;

namespace Mnist.Bench;

/// <summary>The benchmark's Markdown table, for the README.</summary>
public static class SpeedReport
{
    private static string Seconds(double? s) =>
        s is { } v ? v.ToString("0", CultureInfo.InvariantCulture) + " s of training" : "not reached within the budget";

    public static string ToMarkdown(SpeedResult r, string command)
    {
        static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "not reached";
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {r.Machine}; libtorch threads {r.Threads} (the web app serves with 1, as `mnist serve` does){(r.Quick ? "; **--quick budget**" : "")}. Command: `{command}`.");
        sb.AppendLine();
        sb.AppendLine("| measure | result | goal |");
        sb.AppendLine("|---|---|---|");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| training, ours, seed model, batch 128, augmentation on (`train_img_per_s`) | {F(r.TrainImgPerS, "0")} images/s | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| training, ours, augmentation off (`train_img_per_s_no_augment`) | {F(r.TrainImgPerSNoAugment, "0")} images/s | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| training, plain TorchSharp loop, no augmentation, TorchSharp as it comes, own process (`plain_loop_img_per_s`) | {F(r.PlainLoopImgPerS, "0")} images/s | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| the same plain loop with this product's malloc settings (`plain_loop_with_our_malloc_img_per_s`) | {F(r.PlainLoopWithOurMallocImgPerS, "0")} images/s | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| **ours with augmentation ÷ plain loop** (`train_ratio_vs_plain`) | **{F(r.TrainRatioVsPlain, "0.00")}×** | ≥ 1.3× |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| augmentation's share of a training step (`augment_share`; all data preparation: {F(r.DataPrepShare * 100, "0.0")}%) | {F(r.AugmentShare * 100, "0.0")}% | < 10% |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| inference, one image, in-process (`infer_latency_p50_ms`, `_p99_ms`) | p50 {F(r.InferLatencyP50Ms, "0.000")} ms, p99 {F(r.InferLatencyP99Ms, "0.000")} ms | p50 < 0.5 ms |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| PNG of a drawn digit to answer, in-process (`predict_image_p50_ms`; decoding and preprocessing alone `preprocess_image_p50_ms`) | p50 {F(r.PredictImageP50Ms, "0.000")} ms (preprocessing {F(r.PreprocessImageP50Ms, "0.000")} ms) | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| inference, batch 1000 (`infer_img_per_s_batch1000`) | {F(r.InferImgPerSBatch1000, "0")} images/s | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| inference, one image, ONNX Runtime {r.OnnxRuntimeVersion} on the model exported to ONNX, same threads, timed in turn with TorchSharp (`onnx_infer_latency_p50_ms`, `_p99_ms`) | p50 {F(r.OnnxInferLatencyP50Ms, "0.000")} ms, p99 {F(r.OnnxInferLatencyP99Ms, "0.000")} ms | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| inference, batch 1000, ONNX Runtime (`onnx_infer_img_per_s_batch1000`) | {F(r.OnnxInferImgPerSBatch1000, "0")} images/s | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| training at the machine's peak (`peak_fraction_train`: {F(r.FlopsPerImageTrain / 1e6, "0.0")} MFLOP per image, 3 × forward, of {F(r.PeakGflops, "0")} GFLOP/s) | {F(r.PeakFractionTrain * 100, "0.0")}% | |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| time to 99.0% test accuracy from scratch, evaluation excluded (`time_to_99_0_s`) | {Seconds(r.TimeTo990S)} | < 60 s |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| time to 99.5% (`time_to_99_5_s`) | {Seconds(r.TimeTo995S)} | |");
        if (r.HttpRps is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| HTTP `POST /api/predict`, wrk, {HttpLoad.Connections} connections on loopback (`http_rps`) | {F(r.HttpRps, "0")} requests/s | > 1,500 |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| HTTP latency (`http_p50_ms`, `http_p99_ms`) | p50 {F(r.HttpP50Ms, "0.0")} ms, p99 {F(r.HttpP99Ms, "0.0")} ms | p99 < 20 ms |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| HTTP errors (`http_errors`) | {r.HttpErrors} | 0 |");
        }
        else
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| HTTP | not run: {r.HttpNote} | |");
        }
        sb.AppendLine();
        static string Curve(IReadOnlyList<double> c) => string.Join(", ", c.Select(a => (a * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%"));
        sb.AppendLine(CultureInfo.InvariantCulture, $"Time to accuracy: {r.TimeToAccuracyRecipe}. Test accuracy after each epoch, {r.EpochsFor990}-epoch budget (for 99.0%): {Curve(r.CurveFor990)}; {r.EpochsFor995}-epoch budget (for 99.5%): {Curve(r.CurveFor995)}.");
        return sb.ToString();
    }
}
