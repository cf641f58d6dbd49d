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

/// <summary>The pipeline's budgets by their names (<see cref="Choice"/>): <c>seed</c> or <c>quick</c> (<see cref="PipelinePreset.Of"/>).</summary>
public enum PipelinePresetKind
{
    /// <summary><see cref="PipelinePreset.Seed"/>.</summary>
    Seed,

    /// <summary><see cref="PipelinePreset.Quick"/>.</summary>
    Quick,
}

/// <summary>A budget for the whole job: the search and the final training.</summary>
public sealed record PipelinePreset(string Name, int Trials, int InitialPoints, int TrialEpochs, double DataFraction, int FinalEpochs, PrunerKind Pruner = PrunerKind.None)
{
    /// <summary>
    /// Whether the search tries the space's defaults (the seed's own model) first, as Optuna's
    /// enqueue_trial would: the pruner then measures every trial against a known good network,
    /// and the search cannot end below it.
    /// </summary>
    public bool EnqueueDefaults { get; init; }

    /// <summary>The most multiply-adds per image a searched network may cost (<see cref="TuneRequest.MaxMultAdds"/>); null for no limit.</summary>
    public long? MaxMultAdds { get; init; }

    /// <summary>
    /// The seed preset's budget of multiply-adds: networks that answer one drawn digit in under 3 ms
    /// (p50, in process) on the 2-core machines this product is measured on (about 1.7 ms plus 0.04 ms
    /// a million through TorchSharp on a Xeon; docs/search.md). Measured: with it the main job chose two
    /// convolutions per block, conv 32/64, at 18.9 million and read 99.68% in 37 minutes on a Xeon (stop 24),
    /// 99.61% in 32 minutes on a Zen 5 (stop 25); without it, 119.1 million, 99.67%, 108 minutes (Xeon).
    /// </summary>
    public const long SeedMaxMultAdds = 25_000_000;

    /// <summary>
    /// The seed's budget: 30 trials (each up to 10 epochs on all the training data, pruned by
    /// ASHA; the seed's model first; networks of at most <see cref="SeedMaxMultAdds"/> multiply-adds),
    /// final training up to 100 epochs.
    /// </summary>
    public static PipelinePreset Seed { get; } = new(Choice.Name(PipelinePresetKind.Seed), 30, 5, 10, 1.0, 100, PrunerKind.Asha) { EnqueueDefaults = true, MaxMultAdds = SeedMaxMultAdds };

    /// <summary>
    /// A short try (its time on a 2-core machine is in docs/search.md): 10 trials of up to 3 epochs on 10% of the data, final
    /// training up to 5 epochs (the search tends to pick larger networks, whose epochs cost several
    /// times the seed model's; docs/search.md).
    /// </summary>
    public static PipelinePreset Quick { get; } = new(Choice.Name(PipelinePresetKind.Quick), 10, 4, 3, 0.1, 5);

    /// <summary>The preset <paramref name="kind"/> stands for.</summary>
    public static PipelinePreset Of(PipelinePresetKind kind) => kind switch
    {
        PipelinePresetKind.Seed => Seed,
        PipelinePresetKind.Quick => Quick,
        _ => throw new SettingException("preset", kind, Choice.Expected<PipelinePresetKind>()),
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
    public OracleKind Oracle { get; init; } = OracleKind.Bayes;

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

    /// <summary>Hyperparameters the search holds at one value (<see cref="TuneRequest.Fixed"/>); the preset's enqueued defaults take them too.</summary>
    public IReadOnlyDictionary<string, double> Fixed { get; init; } = new Dictionary<string, double>();

    /// <summary>The search's pruner; null for the preset's own.</summary>
    public PrunerKind? Pruner { get; init; }
    public int Seed { get; init; } = 42;

    /// <summary>The augmentation of the search's trials and of the final training (the seed's by default).</summary>
    public Data.AugmentationOptions Augmentation { get; init; } = Data.AugmentationOptions.Seed;

    /// <summary>What early stopping and ReduceLROnPlateau watch, in the search's trials and the final training alike (so the final continues the best trial).</summary>
    public TuningObjective Monitor { get; init; } = new TrainingOptions().Monitor;
    public int? Threads { get; init; }
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>Use only the first N training images, in the search and the final training (quick runs).</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Also train the seed's final model under the same final budget, for comparison.</summary>
    public bool CompareWithSeed { get; init; }

    /// <summary>Where to write TensorBoard event files: search/ (trial_N inside), final/ and seed-baseline/; null for none.</summary>
    public string? TensorBoardDir { get; init; }

    /// <summary>How many models the delivered model averages: 1 for the final model alone, K for an ensemble of the final model and K − 1 more (<see cref="EnsembleFrom"/>).</summary>
    public int Ensemble { get; init; } = 1;

    /// <summary>Where an ensemble's other members come from.</summary>
    public EnsembleSource EnsembleFrom { get; init; } = EnsembleSource.Seeds;
}

/// <summary>Where a pipeline's ensemble members after the final model come from (<see cref="Choice"/> names: <c>seeds</c>, <c>trials</c>).</summary>
public enum EnsembleSource
{
    /// <summary>The best configuration trained again with seeds seed + 1, seed + 2, …, each holding out the final model's validation split (<see cref="TrainingOptions.SplitSeed"/>).</summary>
    Seeds,

    /// <summary>The next best trials' configurations (completed ones first, then pruned ones by their score), each trained as the final model is.</summary>
    Trials,
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
    int FinalEpochsFromTrial = 0,
    int EnsembleSize = 1,
    string? EnsembleFrom = null,
    double? EnsembleTestAccuracy = null,
    double? EnsembleTestLoss = null,
    double? EnsembleSeconds = null);

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
    public const string EnsembleDir = "ensemble";

    /// <summary>The folder of ensemble member <paramref name="number"/> (2 to K; the final model is member 1).</summary>
    public static string MemberDir(int number) => $"member-{number}";
    public const string SummaryFileName = "pipeline.json";
    public const string SummaryMarkdownName = "pipeline.md";

    public static async Task<PipelineSummary> RunAsync(PipelineRequest request, ITunerObserver? tunerObserver = null, Func<ITrainingObserver?>? progress = null, TextWriter? log = null, CancellationToken ct = default)
    {
        log ??= TextWriter.Null;
        var total = Stopwatch.StartNew();
        var preset = request.Preset;
        var outDir = Path.GetFullPath(request.OutDir);

        SettingException.Check(request.Ensemble >= 1, "ensemble", request.Ensemble, "must be at least 1 (1: the final model alone)");
        var hyperband = request.Oracle == OracleKind.Hyperband;
        var pruner = request.Pruner ?? (hyperband ? PrunerKind.None : preset.Pruner); // Hyperband halves by itself
        log.WriteLine(hyperband
            ? $"== Search: Hyperband (max {preset.TrialEpochs} epochs, factor {request.Factor}) on {preset.DataFraction:P0} of the training data"
            : $"== Search: {preset.Trials} trials ({Choice.Name(request.Oracle)}, pruner {Choice.Name(pruner)}), up to {preset.TrialEpochs} epochs each on {preset.DataFraction:P0} of the training data");
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
            Fixed = request.Fixed,
            MaxMultAdds = preset.MaxMultAdds,
            TrialOptions = new TrainingOptions { Dataset = request.Dataset, Epochs = preset.TrialEpochs, DataFraction = preset.DataFraction, Seed = request.Seed, TrainLimit = request.TrainLimit, Augmentation = request.Augmentation, Monitor = request.Monitor },
            Threads = request.Threads,
            Device = request.Device,
            TensorBoardDir = request.TensorBoardDir is { } tb ? Path.Combine(tb, "search") : null,
        }, tunerObserver, progress, log, ct).ConfigureAwait(false);
        var searchSeconds = search.Elapsed.TotalSeconds;
        var report = study.Report;
        var config = study.BestConfig ?? throw new InvalidOperationException($"{outDir}: the search completed no trial, so there is no configuration to train.");
        log.WriteLine(study.ToText());

        var finalOptions = new TrainingOptions { Dataset = request.Dataset, Epochs = preset.FinalEpochs, Seed = request.Seed, TrainLimit = request.TrainLimit, Augmentation = request.Augmentation, Monitor = request.Monitor };
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

        EnsembleOutcome? ensemble = null;
        var ensembleClock = Stopwatch.StartNew();
        if (request.Ensemble > 1) ensemble = await Ensemble(request, outDir, report, config, finalDir, finalOptions, progress, log, ct).ConfigureAwait(false);

        var summary = new PipelineSummary(
            preset.Name, report.Trials.Count, report.Completed, searchSeconds,
            report.Best.Id, report.Best.Score, report.Best.Hyperparameters,
            config, final.Fit.History.Count, final.Elapsed.TotalSeconds, final.Test.Accuracy, final.Test.Loss,
            seed?.Test.Accuracy, seed?.Fit.History.Count, seed?.Elapsed.TotalSeconds,
            total.Elapsed.TotalSeconds, ensemble?.ModelPath ?? final.ModelPath, report.Pruned, report.EpochsTrained, final.ContinuedFrom?.Epochs ?? 0,
            request.Ensemble, ensemble is null ? null : Choice.Name(request.EnsembleFrom), ensemble?.Test.Accuracy, ensemble?.Test.Loss,
            ensemble is null ? null : ensembleClock.Elapsed.TotalSeconds);
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
    /// The ensemble of the final model and K − 1 more, trained as the final model is (each in its own
    /// run folder, so that an interruption resumes it), combined in <see cref="EnsembleDir"/>.
    /// </summary>
    private static async Task<EnsembleOutcome> Ensemble(PipelineRequest request, string outDir, StudyReport report, ModelConfig config, string finalDir,
        TrainingOptions finalOptions, Func<ITrainingObserver?>? progress, TextWriter log, CancellationToken ct)
    {
        var others = request.EnsembleFrom == EnsembleSource.Seeds
            ? Enumerable.Range(1, request.Ensemble - 1).Select(k => (Config: config, Options: finalOptions with { Seed = request.Seed + k, SplitSeed = finalOptions.ValidationSeed }, What: $"the best configuration with seed {request.Seed + k} (the final model's validation split)")).ToList()
            : OtherTrials(report, request.Ensemble - 1).Select(t => (Config: ModelBuilder.Configure(new HyperParameters(t.Hyperparameters)), Options: finalOptions, What: $"trial {t.Id}'s configuration")).ToList();
        var members = new List<string> { finalDir };
        for (var i = 0; i < others.Count; i++)
        {
            var (memberConfig, options, what) = others[i];
            var dir = Path.Combine(outDir, MemberDir(i + 2));
            log.WriteLine($"== Ensemble member {i + 2} of {request.Ensemble}: {what}: {memberConfig}");
            await Train(dir, memberConfig, options, request, progress?.Invoke(), log, ct).ConfigureAwait(false);
            members.Add(dir);
        }
        var ensembleDir = Path.Combine(outDir, EnsembleDir);
        if (Directory.Exists(ensembleDir)) Directory.Delete(ensembleDir, recursive: true); // combined again from its members, which are all on disk
        log.WriteLine($"== Ensemble of {members.Count}: {ensembleDir}");
        var outcome = await EnsembleRun.RunAsync(new EnsembleRequest { OutDir = ensembleDir, Models = members, DataDir = request.DataDir, Threads = request.Threads, Device = request.Device }, log, ct)
            .ConfigureAwait(false);
        log.WriteLine(outcome.ToText());
        return outcome;
    }

    /// <summary>The <paramref name="count"/> best trials after the best with a score and hyperparameters of their own: completed ones by rank, then pruned ones by their score.</summary>
    internal static IReadOnlyList<TrialRecord> OtherTrials(StudyReport report, int count)
    {
        var goal = Tuning.Objective.Of(report.Objective);
        var completed = report.Trials.Where(t => t.Status == TrialStatus.Completed && t.Score is not null);
        var pruned = report.Trials.Where(t => t.Status == TrialStatus.Pruned && t.Score is not null).OrderBy(t => goal.LossOf(t.Score!.Value));
        var chosen = completed.Concat(pruned)
            .Where(t => t.Id != report.Best?.Id)
            .DistinctBy(t => string.Join(",", t.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value:R}")))
            .Where(t => report.Best is null || !SameHyperparameters(t, report.Best))
            .Take(count).ToList();
        if (chosen.Count < count)
        {
            throw new InvalidOperationException($"an ensemble of {count + 1} from the study's trials needs {count} more trials with a score besides the best, and the study has {chosen.Count}; take its members from seeds instead");
        }
        return chosen;
    }

    private static bool SameHyperparameters(TrialRecord a, TrialRecord b) =>
        a.Hyperparameters.Count == b.Hyperparameters.Count && a.Hyperparameters.All(p => b.Hyperparameters.TryGetValue(p.Key, out var v) && v == p.Value);

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
        if (s.EnsembleTestAccuracy is { } ensembleAccuracy)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"Ensemble of {s.EnsembleSize} (the final model and {s.EnsembleSize - 1} more from {s.EnsembleFrom}): test accuracy {ensembleAccuracy * 100:0.00}%, loss {s.EnsembleTestLoss:0.0000}; its members trained and combined in {s.EnsembleSeconds / 60:0.0} min.");
        }
        return sb.ToString();
    }
}
