using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mnist.Core.Evaluation;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Jobs;

/// <summary>A budget for the whole job: the search and the final training.</summary>
public sealed record PipelinePreset(string Name, int Trials, int InitialPoints, int TrialEpochs, double DataFraction, int FinalEpochs, string Pruner = Pruners.None)
{
    /// <summary>
    /// Whether the search tries the space's defaults (the seed's own model) first, as Optuna's
    /// enqueue_trial would: the pruner then measures every trial against a known good network,
    /// and the search cannot end below it.
    /// </summary>
    public bool EnqueueDefaults { get; init; }

    /// <summary>
    /// The seed's budget: 30 trials (each up to 10 epochs on all the training data, pruned by
    /// ASHA; the seed's model first), final training up to 100 epochs.
    /// </summary>
    public static PipelinePreset Seed { get; } = new("seed", 30, 5, 10, 1.0, 100, Pruners.Asha) { EnqueueDefaults = true };

    /// <summary>
    /// A short try (its time on a 2-core machine is in docs/search.md): 10 trials of up to 3 epochs on 10% of the data, final
    /// training up to 5 epochs (the search tends to pick larger networks, whose epochs cost several
    /// times the seed model's; docs/search.md).
    /// </summary>
    public static PipelinePreset Quick { get; } = new("quick", 10, 4, 3, 0.1, 5);

    public static PipelinePreset ByName(string name) => name.ToLowerInvariant() switch
    {
        "seed" => Seed,
        "quick" => Quick,
        _ => throw new SettingException("preset", name, "expected seed or quick"),
    };
}

public sealed record PipelineRequest
{
    public required string OutDir { get; init; }
    public string? DataDir { get; init; }

    /// <summary>The dataset's name (<see cref="Data.DatasetInfo.ByName"/>).</summary>
    public string Dataset { get; init; } = "mnist";
    public PipelinePreset Preset { get; init; } = PipelinePreset.Quick;
    /// <summary>bayes, random or hyperband (<see cref="TuneRun.CreateOracle"/>); with hyperband its schedule sets the trials, the preset's trial epochs are its max_epochs and the pruner is none.</summary>
    public string Oracle { get; init; } = "bayes";

    /// <summary>Hyperband's reduction factor (oracle hyperband).</summary>
    public int Factor { get; init; } = 3;

    /// <summary>How many times Hyperband runs its whole set of brackets (oracle hyperband).</summary>
    public int HyperbandIterations { get; init; } = 1;

    /// <summary>Where the search's study lives (<see cref="TuneRequest.Storage"/>); null for DIR/study.db.</summary>
    public string? Storage { get; init; }

    /// <summary>The study's name (several pipelines may share one server with different names).</summary>
    public string Study { get; init; } = PipelineRun.StudyName;

    /// <summary>Configurations the search tries first (<see cref="TuneRequest.Enqueue"/>), after the defaults when the preset enqueues them.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Enqueue { get; init; } = [];

    /// <summary>The search's pruner; null for the preset's own.</summary>
    public string? Pruner { get; init; }
    public int Seed { get; init; } = 42;

    /// <summary>The augmentation of the search's trials and of the final training (the seed's by default).</summary>
    public Data.AugmentationOptions Augmentation { get; init; } = Data.AugmentationOptions.Seed;
    public int? Threads { get; init; }
    public string Device { get; init; } = "cpu";

    /// <summary>Use only the first N training images, in the search and the final training (quick runs).</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Also train the seed's final model under the same final budget, for comparison.</summary>
    public bool CompareWithSeed { get; init; }

    /// <summary>Where to write TensorBoard event files: search/ (trial_N inside), final/ and seed-baseline/; null for none.</summary>
    public string? TensorBoardDir { get; init; }
}

/// <summary>How the job went, written to pipeline.json and pipeline.md.</summary>
public sealed record PipelineSummary(
    string Preset,
    int Trials,
    int CompletedTrials,
    double SearchSeconds,
    int? BestTrial,
    double? BestTrialScore,
    IReadOnlyDictionary<string, double>? BestHyperparameters,
    ModelConfig FinalConfig,
    int FinalEpochs,
    double FinalSeconds,
    double TestAccuracy,
    double TestLoss,
    double? SeedTestAccuracy,
    int? SeedEpochs,
    double? SeedSeconds,
    double TotalSeconds,
    string ModelPath,
    int PrunedTrials = 0,
    double SearchEpochs = 0,
    int FinalEpochsFromTrial = 0);

/// <summary>
/// <c>mnist pipeline</c>, the seed's whole job: search, retrain the best configuration on all the
/// training data with early stopping, evaluate on the test set, save the model file and a
/// summary, and write report.html (the study's and the final run's numbers and pictures). Run
/// again after an interruption, it resumes each phase where it stopped.
/// </summary>
public static class PipelineRun
{
    public const string StudyName = "study";

    /// <summary>A pipeline folder's layout: the study (beside them), the final run's folder, the seed baseline's, and the summary as JSON and Markdown.</summary>
    public const string FinalDir = "final";
    public const string SeedBaselineDir = "seed-baseline";
    public const string SummaryFileName = "pipeline.json";
    public const string SummaryMarkdownName = "pipeline.md";

    public static async Task<PipelineSummary> RunAsync(PipelineRequest request, ITunerObserver? tunerObserver = null, Func<ITrainingObserver?>? progress = null, TextWriter? log = null, CancellationToken ct = default)
    {
        log ??= TextWriter.Null;
        var total = Stopwatch.StartNew();
        var preset = request.Preset;
        var outDir = Path.GetFullPath(request.OutDir);

        var hyperband = TuneRun.IsHyperband(request.Oracle);
        var pruner = request.Pruner ?? (hyperband ? Pruners.None : preset.Pruner); // Hyperband halves by itself
        log.WriteLine(hyperband
            ? $"== Search: Hyperband (max {preset.TrialEpochs} epochs, factor {request.Factor}) on {preset.DataFraction:P0} of the training data"
            : $"== Search: {preset.Trials} trials ({request.Oracle}, pruner {pruner}), up to {preset.TrialEpochs} epochs each on {preset.DataFraction:P0} of the training data");
        var search = Stopwatch.StartNew();
        var study = await TuneRun.RunAsync(new TuneRequest
        {
            OutDir = outDir,
            Study = request.Study,
            Storage = request.Storage,
            DataDir = request.DataDir,
            Trials = preset.Trials,
            InitialPoints = preset.InitialPoints,
            Oracle = request.Oracle,
            Factor = request.Factor,
            HyperbandIterations = request.HyperbandIterations,
            Pruner = pruner,
            Enqueue = preset.EnqueueDefaults ? [new Dictionary<string, double>(), .. request.Enqueue] : request.Enqueue,
            TrialOptions = new TrainingOptions { Dataset = request.Dataset, Epochs = preset.TrialEpochs, DataFraction = preset.DataFraction, Seed = request.Seed, TrainLimit = request.TrainLimit, Augmentation = request.Augmentation },
            Threads = request.Threads,
            Device = request.Device,
            TensorBoardDir = request.TensorBoardDir is { } tb ? Path.Combine(tb, "search") : null,
        }, tunerObserver, progress, log, ct).ConfigureAwait(false);
        var searchSeconds = search.Elapsed.TotalSeconds;
        var report = study.Report;
        var config = study.BestConfig ?? throw new InvalidOperationException($"{outDir}: the search completed no trial, so there is no configuration to train.");
        log.WriteLine(study.ToText());

        var finalOptions = new TrainingOptions { Dataset = request.Dataset, Epochs = preset.FinalEpochs, Seed = request.Seed, TrainLimit = request.TrainLimit, Augmentation = request.Augmentation };
        log.WriteLine($"== Final training of trial {report.Best!.Id}'s configuration: {config}");
        var finalDir = Path.Combine(outDir, FinalDir);
        var (start, startName) = FinalStart(request, outDir, report.Best, finalDir, finalOptions, log);
        var final = await Train(finalDir, config, finalOptions, request, progress?.Invoke(), log, ct, start, startName).ConfigureAwait(false);

        TrainOutcome? seed = null;
        if (request.CompareWithSeed)
        {
            log.WriteLine("== The seed's final model under the same final budget, for comparison");
            seed = await Train(Path.Combine(outDir, SeedBaselineDir), ModelConfig.Seed, finalOptions, request, progress?.Invoke(), log, ct).ConfigureAwait(false);
        }

        var summary = new PipelineSummary(
            preset.Name, report.Trials.Count, report.Completed, searchSeconds,
            report.Best.Id, report.Best.Score, report.Best.Hyperparameters,
            config, final.Fit.History.Count, final.Elapsed.TotalSeconds, final.Test.Accuracy, final.Test.Loss,
            seed?.Test.Accuracy, seed?.Fit.History.Count, seed?.Elapsed.TotalSeconds,
            total.Elapsed.TotalSeconds, final.ModelPath, report.Pruned, report.EpochsTrained, final.ContinuedFrom?.Epochs ?? 0);
        AtomicFile.WriteAllText(Path.Combine(outDir, SummaryFileName), Json.Serialize(summary));
        AtomicFile.WriteAllText(Path.Combine(outDir, SummaryMarkdownName), ToMarkdown(summary));
        var page = await RunReport.WriteAsync(new ReportRequest
        {
            Dir = outDir, DataDir = request.DataDir, Threads = request.Threads, Device = request.Device,
            Storage = request.Storage, Study = request.Storage is null ? null : request.Study,
        }, log, ct).ConfigureAwait(false);
        log.WriteLine($"Report: {page.Path}");
        return summary;
    }

    /// <summary>
    /// Where the final training starts: from scratch, or (when the search trained on all the data
    /// with the final's options but a smaller epoch budget) from the best trial's end, which the
    /// store kept: the same training continued, so the final does not repeat the trial's epochs.
    /// An interrupted final training resumes from its own checkpoint instead.
    /// </summary>
    private static (TrainingSnapshot? Start, string Name) FinalStart(PipelineRequest request, string outDir, TrialRecord best, string finalDir, TrainingOptions finalOptions, TextWriter log)
    {
        var name = $"trial {best.Id} of study '{request.Study}'";
        if (new RunFolder(finalDir).HasCheckpoint) return (null, name);
        byte[]? bytes;
        using (var store = StudyStorage.Open(request.Storage, outDir, request.Study)) bytes = store.LoadTrialState(best.Id);
        if (bytes is null)
        {
            log.WriteLine($"The final training starts from scratch: the study kept no state of {name}.");
            return (null, name);
        }
        var snapshot = TrainingSnapshot.Read(bytes, name);
        if (snapshot.CannotContinueAs(finalOptions) is { } why)
        {
            log.WriteLine($"The final training starts from scratch rather than continue {name}: {why}.");
            return (null, name);
        }
        return (snapshot, name);
    }

    private static Task<TrainOutcome> Train(string dir, ModelConfig config, TrainingOptions options, PipelineRequest request, ITrainingObserver? progress, TextWriter log, CancellationToken ct,
        TrainingSnapshot? start = null, string startName = "") =>
        TrainingRun.RunAsync(new TrainRequest
        {
            ContinueFrom = start,
            ContinueFromName = startName,
            OutDir = dir,
            DataDir = request.DataDir,
            Config = config,
            Options = options,
            Resume = new RunFolder(dir).HasCheckpoint,
            Threads = request.Threads,
            Device = request.Device,
            TensorBoardDir = request.TensorBoardDir is { } tb ? Path.Combine(tb, Path.GetFileName(dir)) : null,
        }, progress, log, ct);

    public static string ToMarkdown(PipelineSummary s)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"| preset | trials (completed, pruned) | epochs in the search | search | best trial val_accuracy | final epochs | final training | test accuracy |{(s.SeedTestAccuracy is null ? "" : " seed model, same budget |")}");
        sb.AppendLine(s.SeedTestAccuracy is null ? "|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|---|");
        sb.Append(inv, $"| {s.Preset} | {s.Trials} ({s.CompletedTrials}, {s.PrunedTrials}) | {s.SearchEpochs:0.#} | {s.SearchSeconds / 60:0.0} min | {s.BestTrialScore:0.0000} | {s.FinalEpochs} | {s.FinalSeconds / 60:0.0} min | {s.TestAccuracy * 100:0.00}% |");
        if (s.SeedTestAccuracy is { } seedAcc) sb.Append(inv, $" {seedAcc * 100:0.00}% ({s.SeedEpochs} epochs, {s.SeedSeconds / 60:0.0} min) |");
        sb.AppendLine();
        sb.AppendLine();
        sb.AppendLine(inv, $"Best configuration: {s.FinalConfig}. Total wall time {s.TotalSeconds / 60:0.0} min.");
        return sb.ToString();
    }
}
