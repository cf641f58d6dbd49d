using System.Diagnostics;
using System.Text.Json.Serialization;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Inference;
using Mnist.Core.Model;
using Mnist.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Bench;

/// <summary>The budget of one benchmark run; <see cref="Quick"/> runs every part briefly.</summary>
public sealed record SpeedBudget(
    int TrainImages,
    int LatencyRuns,
    int BatchRuns,
    int EpochsFor990,
    int EpochsFor995,
    int? TimeToAccuracyLimit,
    double HttpSeconds)
{
    public static SpeedBudget Full { get; } = new(12_800, 2000, 5, 3, 12, null, 10);
    public static SpeedBudget Quick { get; } = new(1_280, 100, 2, 1, 1, 3_000, 2);
}

/// <summary>The fastest training recipe found (bench/results.md): what time_to_99_0_s and time_to_99_5_s use.</summary>
public static class FastRecipe
{
    public static ModelConfig Config { get; } = ModelConfig.Seed with { LearningRate = 3e-3 };

    public static TrainingOptions Options(int epochs, int seed) => new()
    {
        Epochs = epochs,
        BatchSize = 64,
        LrSchedule = LrSchedule.OneCycle,
        ReduceLrPatience = 0,
        Patience = 0,
        LabelSmoothing = 0.1,
        Augmentation = new AugmentationOptions(5, 0.05, 0.05),
        Seed = seed,
    };

    public static string Describe() =>
        "seed model, Adam with a one-cycle learning rate peaking at 3e-3 over the epoch budget, batch 64, label smoothing 0.1, augmentation halved (5 degrees, 5% zoom and shift)";
}

/// <summary>Everything one run measures; the JSON keys are the issue's.</summary>
public sealed record SpeedResult
{
    public required string Machine { get; init; }
    public required bool Quick { get; init; }
    public required int Threads { get; init; }
    public required double TrainImgPerS { get; init; }
    public required double TrainImgPerSNoAugment { get; init; }

    /// <summary>Training with the seed's augmentation and every augmentation beyond it on (<see cref="SpeedBenchmark.ExtendedAugmentation"/>).</summary>
    public required double TrainImgPerSExtendedAugment { get; init; }

    /// <summary>A training step's time with <see cref="SpeedBenchmark.ExtendedAugmentation"/> ÷ with the seed's augmentation (epochs timed apart).</summary>
    public required double ExtendedAugmentStepRatio { get; init; }

    /// <summary>The extended augmentation's time less the seed's (median batch, the same batches in turn) ÷ a training step with the seed's augmentation.</summary>
    public required double ExtendedAugmentExtraShare { get; init; }
    public required string ExtendedAugmentation { get; init; }
    public required double PlainLoopImgPerS { get; init; }
    public required double PlainLoopWithOurMallocImgPerS { get; init; }
    public required double TrainRatioVsPlain { get; init; }
    public required double AugmentShare { get; init; }
    public required double DataPrepShare { get; init; }
    public required double InferLatencyP50Ms { get; init; }
    public required double InferLatencyP99Ms { get; init; }
    public required double PredictImageP50Ms { get; init; }

    [JsonPropertyName("preprocess_image_p50_ms")]
    public required double PreprocessImageP50Ms { get; init; }
    public required double InferImgPerSBatch1000 { get; init; }

    /// <summary>The same measures on ONNX Runtime, on the same model exported to ONNX, interleaved with TorchSharp's.</summary>
    public required double OnnxInferLatencyP50Ms { get; init; }
    public required double OnnxInferLatencyP99Ms { get; init; }
    public required double OnnxInferImgPerSBatch1000 { get; init; }
    public required string OnnxRuntimeVersion { get; init; }
    public required double FlopsPerImageForward { get; init; }
    public required double FlopsPerImageTrain { get; init; }
    public required double PeakGflops { get; init; }
    public required double PeakFractionTrain { get; init; }
    public required string TimeToAccuracyRecipe { get; init; }
    [JsonIgnore]
    public double? TimeTo990S { get; init; }

    [JsonIgnore]
    public double? TimeTo995S { get; init; }

    [JsonPropertyName("epochs_for_99_0")]
    public required int EpochsFor990 { get; init; }

    [JsonPropertyName("epochs_for_99_5")]
    public required int EpochsFor995 { get; init; }

    [JsonPropertyName("test_accuracy_per_epoch_for_99_0")]
    public required IReadOnlyList<double> CurveFor990 { get; init; }

    [JsonPropertyName("test_accuracy_per_epoch_for_99_5")]
    public required IReadOnlyList<double> CurveFor995 { get; init; }
    public double? HttpRps { get; init; }
    public double? HttpP50Ms { get; init; }
    public double? HttpP99Ms { get; init; }
    public long? HttpErrors { get; init; }
    public string? HttpNote { get; init; }

    [JsonPropertyName("time_to_99_0_s")]
    public double? TimeTo990 => TimeTo990S;

    [JsonPropertyName("time_to_99_5_s")]
    public double? TimeTo995 => TimeTo995S;
}

/// <summary>
/// The speed benchmark: training throughput (ours with and without augmentation, and a plain
/// TorchSharp loop), the data-preparation share of a step, inference latency and throughput,
/// the share of the machine's peak, time to 99.0% and 99.5% test accuracy, and HTTP serving.
/// </summary>
public static class SpeedBenchmark
{
    public const int BatchSize = 128;

    /// <summary>
    /// The seed's augmentation with every augmentation beyond it on at typical strengths: elastic
    /// distortion with Simard et al.'s values for 28×28 digits (α 34, σ 4), a 10° shear and a
    /// stroke-width jitter of half a pixel; what <c>extended_augment_step_ratio</c> measures.
    /// </summary>
    public static AugmentationOptions ExtendedAugmentation { get; } =
        AugmentationOptions.Seed with { ElasticAlpha = 34, ElasticSigma = 4, ShearDegrees = 10, StrokeJitter = 0.5 };

    private static string Describe(AugmentationOptions a) => System.FormattableString.Invariant(
        $"rotation {a.RotationDegrees} degrees, zoom {a.Zoom}, shift {a.Shift}, elastic alpha {a.ElasticAlpha} sigma {a.ElasticSigma}, shear {a.ShearDegrees} degrees, stroke jitter {a.StrokeJitter}");

    /// <summary>
    /// Training throughputs are the median of this many timed epochs after a warm-up epoch: on a
    /// shared machine one short epoch alone varied by about 10%.
    /// </summary>
    public const int TimedEpochs = 3;

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    public static SpeedResult Run(Dataset data, string dataDir, SpeedBudget budget, int seed, bool quick, TextWriter log, Func<string, (double Rps, double P50, double P99, long Errors)?>? http = null)
    {
        var machine = Machine.Detect();
        var threads = get_num_threads();
        log.WriteLine($"Machine: {machine.Describe()}; libtorch threads: {threads}");

        var (ours, prepSeconds, augmentSeconds, stepSeconds) = OursTraining(data, budget.TrainImages, AugmentationOptions.Seed, seed);
        log.WriteLine($"training, ours, augmentation on: {ours:0} images/s");
        var (oursNoAugment, _, _, _) = OursTraining(data, budget.TrainImages, AugmentationOptions.None, seed);
        log.WriteLine($"training, ours, augmentation off: {oursNoAugment:0} images/s");
        var extended = ExtendedAugmentationCost(data, budget.TrainImages, seed);
        log.WriteLine($"training, ours, extended augmentation ({Describe(ExtendedAugmentation)}), epochs timed in turn with the seed's: {extended.ImagesPerSecond:0} images/s; " +
                      $"a step {extended.StepRatio:0.000}x the seed's; augmentation alone, same batches in turn, {extended.ExtendedAugmentMs:0.00} ms vs {extended.SeedAugmentMs:0.00} ms " +
                      $"per step of {extended.SeedStepMs:0.0} ms ({extended.ExtraShare * 100:0.0}% more)");
        var plain = PlainLoopProcess(dataDir, budget.TrainImages, seed);
        log.WriteLine($"training, plain TorchSharp loop (its own process, TorchSharp as it comes): {plain:0} images/s");
        var plainTuned = PlainLoop(data, budget.TrainImages, seed);
        log.WriteLine($"training, the same loop in this process (with our malloc settings): {plainTuned:0} images/s");

        using var dir = new Mnist.Samples.TempDir();
        var modelPath = Mnist.Samples.SeedModelFile.SaveUntrained(dir.File("model.ckpt"), seed: 1);
        var (p50, p99, imageP50, preprocessP50, batchRate, onnx) = Inference(modelPath, data.Test, budget);
        log.WriteLine($"inference: single image p50 {p50:0.000} ms, p99 {p99:0.000} ms; PNG to answer p50 {imageP50:0.000} ms (decoding and preprocessing {preprocessP50:0.000} ms); batch 1000: {batchRate:0} images/s");
        log.WriteLine($"inference, ONNX Runtime {EngineComparison.OnnxRuntimeVersion} (same model exported to ONNX, timed in turn with TorchSharp): single image p50 {onnx.P50Ms:0.000} ms, p99 {onnx.P99Ms:0.000} ms; batch 1000: {onnx.Batch1000ImgPerS:0} images/s");

        var config = ModelConfig.Seed;
        var forward = Machine.ForwardFlops(config);
        var train = Machine.TrainFlops(config);

        var (t990, curve990) = TimeToAccuracy(data, budget.EpochsFor990, budget.TimeToAccuracyLimit, 0.99, seed, log);
        var (t995, curve995) = TimeToAccuracy(data, budget.EpochsFor995, budget.TimeToAccuracyLimit, 0.995, seed, log);

        double? rps = null, hp50 = null, hp99 = null;
        long? errors = null;
        string? note = null;
        if (http is not null)
        {
            var h = http(modelPath);
            if (h is { } v)
            {
                (rps, hp50, hp99, errors) = (v.Rps, v.P50, v.P99, v.Errors);
                log.WriteLine($"HTTP: {rps:0} requests/s, p50 {hp50:0.00} ms, p99 {hp99:0.00} ms, {errors} errors");
            }
            else
            {
                note = "wrk not found: apt-get install -y wrk";
                log.WriteLine($"HTTP: skipped ({note})");
            }
        }

        return new SpeedResult
        {
            Machine = machine.Describe(),
            Quick = quick,
            Threads = threads,
            TrainImgPerS = ours,
            TrainImgPerSNoAugment = oursNoAugment,
            TrainImgPerSExtendedAugment = extended.ImagesPerSecond,
            ExtendedAugmentStepRatio = extended.StepRatio,
            ExtendedAugmentExtraShare = extended.ExtraShare,
            ExtendedAugmentation = Describe(ExtendedAugmentation),
            PlainLoopImgPerS = plain,
            PlainLoopWithOurMallocImgPerS = plainTuned,
            TrainRatioVsPlain = ours / plain,
            AugmentShare = augmentSeconds / stepSeconds,
            DataPrepShare = prepSeconds / stepSeconds,
            InferLatencyP50Ms = p50,
            InferLatencyP99Ms = p99,
            PredictImageP50Ms = imageP50,
            PreprocessImageP50Ms = preprocessP50,
            InferImgPerSBatch1000 = batchRate,
            OnnxInferLatencyP50Ms = onnx.P50Ms,
            OnnxInferLatencyP99Ms = onnx.P99Ms,
            OnnxInferImgPerSBatch1000 = onnx.Batch1000ImgPerS,
            OnnxRuntimeVersion = EngineComparison.OnnxRuntimeVersion,
            FlopsPerImageForward = forward,
            FlopsPerImageTrain = train,
            PeakGflops = machine.PeakFlops / 1e9,
            PeakFractionTrain = ours * train / machine.PeakFlops,
            TimeToAccuracyRecipe = FastRecipe.Describe(),
            EpochsFor990 = budget.EpochsFor990,
            EpochsFor995 = budget.EpochsFor995,
            TimeTo990S = t990,
            TimeTo995S = t995,
            CurveFor990 = curve990,
            CurveFor995 = curve995,
            HttpRps = rps,
            HttpP50Ms = hp50,
            HttpP99Ms = hp99,
            HttpErrors = errors,
            HttpNote = note,
        };
    }

    /// <summary>
    /// Our training epoch (the code `mnist train` runs) at batch 128, after a warm-up epoch; and,
    /// on the same batches, the time of data preparation alone (index_select, augmentation,
    /// normalisation) and of augmentation alone, per step.
    /// </summary>
    private static (double ImagesPerSecond, double PrepSeconds, double AugmentSeconds, double StepSeconds) OursTraining(Dataset data, int images, AugmentationOptions augment, int seed)
    {
        var options = new TrainingOptions
        {
            BatchSize = BatchSize,
            Epochs = 1 + TimedEpochs,
            TrainLimit = (int)Math.Ceiling(images / 0.9),
            Augmentation = augment,
            Seed = seed,
        };
        using var td = TrainingData.Create(data.Train, options, data.Info.ClassNames.Count, CPU);
        using var model = ModelBuilder.Build(ModelConfig.Seed);
        using var trainer = new Trainer(model, ModelConfig.Seed, options);
        trainer.TrainEpoch(td, 1);
        var epochSeconds = new double[TimedEpochs];
        for (var e = 0; e < TimedEpochs; e++)
        {
            var clock = Stopwatch.StartNew();
            trainer.TrainEpoch(td, 2 + e);
            epochSeconds[e] = clock.Elapsed.TotalSeconds;
        }
        var seconds = Median(epochSeconds);
        var steps = (int)Math.Ceiling(td.TrainCount / (double)BatchSize);

        // Preparation alone, on the same kind of batches.
        using var generator = new Generator((ulong)seed);
        using var perm = randperm(td.TrainCount, generator: generator);
        double prep = 0, augmentation = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            prep = 0;
            augmentation = 0;
            for (long start = 0; start + BatchSize <= td.TrainCount; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                var t0 = Stopwatch.GetTimestamp();
                var idx = perm.narrow(0, start, BatchSize);
                var x = td.TrainX.index_select(0, idx);
                _ = td.TrainY.index_select(0, idx);
                var t1 = Stopwatch.GetTimestamp();
                x = Augmentation.Apply(x, options.Augmentation, generator);
                var t2 = Stopwatch.GetTimestamp();
                _ = Preprocessing.Normalize(x, td.Normalization);
                var t3 = Stopwatch.GetTimestamp();
                prep += (t3 - t0) / (double)Stopwatch.Frequency;
                augmentation += (t2 - t1) / (double)Stopwatch.Frequency;
            }
        }
        var fullSteps = (int)(td.TrainCount / BatchSize);
        return (td.TrainCount / seconds, prep / fullSteps, augmentation / fullSteps, seconds / steps);
    }

    /// <summary>How much <see cref="ExtendedAugmentation"/> adds to a training step over the seed's augmentation.</summary>
    internal sealed record ExtendedCost(double ImagesPerSecond, double StepRatio, double SeedStepMs, double SeedAugmentMs, double ExtendedAugmentMs)
    {
        /// <summary>The extended augmentation's time less the seed's, as a share of a step with the seed's.</summary>
        public double ExtraShare => (ExtendedAugmentMs - SeedAugmentMs) / SeedStepMs;
    }

    /// <summary>
    /// A training step with <see cref="ExtendedAugmentation"/> against one with the seed's: two
    /// trainers on the same data, epochs timed in turn (which goes first alternates), the
    /// median of the rounds' ratios, so that a shared machine's load, which drifts over seconds,
    /// weighs on both alike; then each augmentation alone on the same batches in turn.
    /// </summary>
    internal static ExtendedCost ExtendedAugmentationCost(Dataset data, int images, int seed)
    {
        const int rounds = 2 * TimedEpochs + 1;
        var seedOptions = new TrainingOptions
        {
            BatchSize = BatchSize,
            Epochs = 1 + rounds,
            TrainLimit = (int)Math.Ceiling(images / 0.9),
            Augmentation = AugmentationOptions.Seed,
            Seed = seed,
        };
        var extendedOptions = seedOptions with { Augmentation = ExtendedAugmentation };
        using var td = TrainingData.Create(data.Train, seedOptions, data.Info.ClassNames.Count, CPU);
        using var seedModel = ModelBuilder.Build(ModelConfig.Seed);
        using var extendedModel = ModelBuilder.Build(ModelConfig.Seed);
        using var seedTrainer = new Trainer(seedModel, ModelConfig.Seed, seedOptions);
        using var extendedTrainer = new Trainer(extendedModel, ModelConfig.Seed, extendedOptions);
        seedTrainer.TrainEpoch(td, 1);
        extendedTrainer.TrainEpoch(td, 1);
        var ratios = new double[rounds];
        var seedEpochs = new double[rounds];
        var extendedEpochs = new double[rounds];
        double Time(Trainer trainer, int epoch)
        {
            var clock = Stopwatch.StartNew();
            trainer.TrainEpoch(td, epoch);
            return clock.Elapsed.TotalSeconds;
        }
        for (var r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                seedEpochs[r] = Time(seedTrainer, 2 + r);
                extendedEpochs[r] = Time(extendedTrainer, 2 + r);
            }
            else
            {
                extendedEpochs[r] = Time(extendedTrainer, 2 + r);
                seedEpochs[r] = Time(seedTrainer, 2 + r);
            }
            ratios[r] = extendedEpochs[r] / seedEpochs[r];
        }
        var steps = (int)Math.Ceiling(td.TrainCount / (double)BatchSize);

        // Each augmentation alone on the same batches, in turn; the median batch of the second pass.
        using var generator = new Generator((ulong)seed);
        using var perm = randperm(td.TrainCount, generator: generator);
        var seedAugment = new List<double>();
        var extendedAugment = new List<double>();
        for (var pass = 0; pass < 2; pass++)
        {
            seedAugment.Clear();
            extendedAugment.Clear();
            for (long start = 0; start + BatchSize <= td.TrainCount; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                var x = td.TrainX.index_select(0, perm.narrow(0, start, BatchSize));
                var t0 = Stopwatch.GetTimestamp();
                _ = Augmentation.Apply(x, AugmentationOptions.Seed, generator);
                var t1 = Stopwatch.GetTimestamp();
                _ = Augmentation.Apply(x, ExtendedAugmentation, generator);
                var t2 = Stopwatch.GetTimestamp();
                seedAugment.Add((t1 - t0) * 1000.0 / Stopwatch.Frequency);
                extendedAugment.Add((t2 - t1) * 1000.0 / Stopwatch.Frequency);
            }
        }
        return new ExtendedCost(td.TrainCount / Median(extendedEpochs), Median(ratios), Median(seedEpochs) / steps * 1000,
            Median([.. seedAugment]), Median([.. extendedAugment]));
    }

    /// <summary>
    /// The plain loop in a process of its own with glibc's malloc as it comes
    /// (MNIST_NO_MALLOC_TUNING=1): what a TorchSharp program gets without this product.
    /// </summary>
    private static double PlainLoopProcess(string dataDir, int images, int seed)
    {
        var bench = typeof(SpeedBenchmark).Assembly.Location;
        var start = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { bench, "plain-loop", "--data-dir", dataDir, "--images", images.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--threads", get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["MNIST_NO_MALLOC_TUNING"] = "1";
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("the plain loop's process did not start");
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("PLAIN ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"the plain loop printed no result (exit {process.ExitCode}): {output} {error}");
        return double.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// What a TorchSharp user would write: the same network, batch 128, index_select batches,
    /// no augmentation, NLL loss on the log-softmax output, TorchSharp's own Adam.
    /// </summary>
    internal static double PlainLoop(Dataset data, int images, int seed)
    {
        torch.manual_seed(seed);
        var n = Math.Min(images, data.Train.Count);
        using var x = Preprocessing.ToUnitTensor(data.Train.Take(n), CPU);
        using var y = Preprocessing.Labels(data.Train.Take(n), CPU);
        using var model = PlainSeedModel();
        model.train();
        using var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
        var epochSeconds = new double[TimedEpochs];
        for (var epoch = 0; epoch <= TimedEpochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            using var perm = randperm(n);
            for (long start = 0; start < n; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                var len = Math.Min(BatchSize, n - start);
                if (len < 2) break;
                var idx = perm.narrow(0, start, len);
                var output = model.forward(x.index_select(0, idx));
                var loss = nn.functional.nll_loss(output, y.index_select(0, idx));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            if (epoch > 0) epochSeconds[epoch - 1] = clock.Elapsed.TotalSeconds; // after the warm-up epoch
        }
        return n / Median(epochSeconds);
    }

    /// <summary>
    /// The seed's network as a TorchSharp user writes it, from TorchSharp's own modules
    /// (nn.MaxPool2d where the product has its faster <see cref="MaxPool2x2"/>): the same
    /// layers, shapes and parameter count as <see cref="ModelBuilder.Build"/>.
    /// </summary>
    public static nn.Module<Tensor, Tensor> PlainSeedModel() => nn.Sequential(
        nn.Conv2d(1, 32, 3, padding: Padding.Same), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(32, 1e-3),
        nn.Conv2d(32, 64, 3, padding: Padding.Same), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(64, 1e-3),
        nn.Flatten(),
        nn.Linear(3136, 256), nn.SELU(), nn.Dropout(0.2), nn.BatchNorm1d(256, 1e-3),
        nn.Linear(256, 10), nn.LogSoftmax(1));

    /// <summary>
    /// Inference on TorchSharp and, timed in turn with it, on ONNX Runtime (the same model
    /// exported to ONNX, the same threads: see <see cref="EngineComparison"/>); then a PNG of a
    /// drawn digit to its answer, and its decoding and preprocessing alone.
    /// </summary>
    private static (double P50, double P99, double ImageP50, double PreprocessP50, double Batch1000, EngineTimes Onnx) Inference(string modelPath, LabeledImages test, SpeedBudget budget)
    {
        var (predictor, onnx) = EngineComparison.Load(modelPath);
        using var _ = predictor;
        using var __ = onnx;
        var (torchTimes, onnxTimes) = EngineComparison.Time(predictor, onnx, test, budget.LatencyRuns, budget.BatchRuns);

        var png = Mnist.Samples.DigitStrokes.RenderPng(3, 140, 12.5, 20, 20, 100); // what the page sends
        var runs = Math.Max(20, budget.LatencyRuns / 4);
        double[] imageLatencies;
        using (LibtorchThreads(1)) // one image, one thread: as mnist serve answers the page
        {
            WarmUp(() => predictor.PredictImage(png));
            imageLatencies = Milliseconds(TimeInTurn(runs, _ => predictor.PredictImage(png))[0]);
        }
        var preprocessLatencies = Milliseconds(TimeInTurn(runs, _ => ImagePreprocessor.FromEncoded(png))[0]);
        return (torchTimes.P50Ms, torchTimes.P99Ms, Percentile(imageLatencies, 0.5), Percentile(preprocessLatencies, 0.5), torchTimes.Batch1000ImgPerS, onnxTimes);
    }

    /// <summary>
    /// Trains the fast recipe from scratch with a budget of <paramref name="epochs"/> (the one-cycle
    /// schedule spans it), evaluating on the test set after each epoch (not counted): the training
    /// seconds when <paramref name="target"/> was first reached, and the accuracy curve.
    /// </summary>
    private static (double? Seconds, IReadOnlyList<double> Curve) TimeToAccuracy(Dataset data, int epochs, int? limit, double target, int seed, TextWriter log)
    {
        var options = FastRecipe.Options(epochs, seed) with { TrainLimit = limit };
        using var td = TrainingData.Create(data.Train, options, data.Info.ClassNames.Count, CPU);
        torch.manual_seed(seed);
        using var model = ModelBuilder.Build(FastRecipe.Config);
        using var trainer = new Trainer(model, FastRecipe.Config, options);
        using var testX = Preprocessing.ToUnitTensor(data.Test, CPU);
        using var testY = Preprocessing.Labels(data.Test, CPU);
        double seconds = 0;
        double? reached = null;
        var curve = new List<double>();
        for (var epoch = 1; epoch <= options.Epochs && reached is null; epoch++)
        {
            var clock = Stopwatch.StartNew();
            trainer.TrainEpoch(td, epoch);
            seconds += clock.Elapsed.TotalSeconds;
            var (_, accuracy, _) = Evaluator.Run(model, testX, testY, td.Normalization, 1000);
            curve.Add(accuracy);
            log.WriteLine($"fast recipe, {epochs}-epoch budget, epoch {epoch}: test accuracy {accuracy:P2} after {seconds:0.0} s of training");
            if (accuracy >= target) reached = seconds;
        }
        return (reached, curve);
    }

    /// <summary>libtorch's (process-wide) thread count set to <paramref name="threads"/> until the scope ends; the bench is an entry point, so it may.</summary>
    internal static IDisposable LibtorchThreads(int threads)
    {
        var before = get_num_threads();
        set_num_threads(threads);
        return new Restore(() => set_num_threads(before));
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>
    /// Runs an operation for a second before it is timed: .NET compiles a method first without
    /// optimisation and recompiles it optimised after it has been called for a while (tiered
    /// compilation); timed at once, the image preprocessing measured about three times slower.
    /// </summary>
    internal static void WarmUp(Action operation)
    {
        var clock = Stopwatch.StartNew();
        for (var calls = 0; calls < 200 || clock.Elapsed.TotalSeconds < 1; calls++) operation();
    }

    /// <summary>
    /// Times each operation <paramref name="runs"/> times (it is given the run's index), taking
    /// them in turn call by call, so that a noisy neighbour on the machine slows all alike: the
    /// seconds of every call, per operation.
    /// </summary>
    public static double[][] TimeInTurn(int runs, params Action<int>[] operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var seconds = operations.Select(_ => new double[runs]).ToArray();
        for (var i = 0; i < runs; i++)
        {
            for (var k = 0; k < operations.Length; k++)
            {
                var t0 = Stopwatch.GetTimestamp();
                operations[k](i);
                seconds[k][i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
        }
        return seconds;
    }

    /// <summary>Seconds as milliseconds, sorted (for <see cref="Percentile"/>).</summary>
    public static double[] Milliseconds(double[] seconds) => seconds.Select(s => s * 1000).Order().ToArray();

    public static double Percentile(double[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
