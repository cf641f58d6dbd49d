using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Jobs;

/// <summary>What <c>mnist tune</c> asks for.</summary>
public sealed record TuneRequest
{
    public required string OutDir { get; init; }
    public string Study { get; init; } = "study";
    public string? DataDir { get; init; }
    public int Trials { get; init; } = 30;
    public OracleKind Oracle { get; init; } = OracleKind.Bayes;
    public int InitialPoints { get; init; } = 5;
    public AcquisitionKind Acquisition { get; init; } = AcquisitionKind.Ucb;
    public TuningObjective Objective { get; init; } = TuningObjective.ValAccuracy;

    /// <summary>
    /// Configurations to try first, in order (Optuna's enqueue_trial): hyperparameter names and
    /// values, those left out at their defaults (an empty one is the seed's model). Each is tried once.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Enqueue { get; init; } = [];

    /// <summary>
    /// Hyperparameters held at one value for the whole study (KerasTuner's <c>hp.Fixed</c>, Optuna's
    /// <c>PartialFixedSampler</c>): names and values, a choice as its index. The study records them in
    /// its space; a worker that fixes nothing goes on in a study made with them, one that fixes others is refused.
    /// </summary>
    public IReadOnlyDictionary<string, double> Fixed { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// The most multiply-adds one image may cost through a trial's network (<see cref="ModelBuilder.MultAdds"/>),
    /// or null for no limit: the oracles propose no configuration above it, so the search chooses among
    /// networks that answer within a serving budget. A worker's own setting, as Optuna's constraints are its sampler's.
    /// </summary>
    public long? MaxMultAdds { get; init; }

    /// <summary>The pruner (<see cref="Pruners.Create"/>): asha or none.</summary>
    public PrunerKind Pruner { get; init; } = PrunerKind.None;

    /// <summary>Hyperband's reduction factor (oracle hyperband).</summary>
    public int Factor { get; init; } = 3;

    /// <summary>How many times Hyperband runs its whole set of brackets (KerasTuner's hyperband_iterations).</summary>
    public int HyperbandIterations { get; init; } = 1;

    /// <summary>With Hyperband, the schedule sets the number of trials; this caps it (null: no cap, <see cref="Trials"/> is ignored).</summary>
    public int? HyperbandMaxConfigurations { get; init; }

    /// <summary>Per-trial options: epoch cap, patience 5, data fraction, seed, batch size, augmentation.</summary>
    public TrainingOptions TrialOptions { get; init; } = new() { Epochs = 10 };
    public int? Threads { get; init; }
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;
    /// <summary>A running trial whose heartbeat is older than this is re-queued (its worker is taken to be dead); heartbeats come at a sixth of it, at most every 10 s.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Where to write TensorBoard event files (per trial: hyperparameters and epochs; per study: scores); null for none.</summary>
    public string? TensorBoardDir { get; init; }

    /// <summary>Where the study lives: null for the SQLite file OUT/STUDY.db; a postgresql:// URL (workers on many machines) or a sqlite:/// file.</summary>
    public string? Storage { get; init; }

    /// <summary>The SQLite file of the study when <see cref="Storage"/> is null.</summary>
    public string StudyPath => SqliteStudyStore.FileFor(OutDir, Study);
}

/// <summary>
/// <c>mnist tune</c>: Bayesian (or random) search of the seed's space on MNIST, persistent and
/// resumable. After every trial the study's pictures (<see cref="StudyPlots"/>) are redrawn beside its database.
/// </summary>
public static class TuneRun
{
    /// <summary>The oracle <paramref name="kind"/> stands for; Hyperband's schedule (which sets the trials and halves them itself) samples its configurations from a random one.</summary>
    public static IOracle CreateOracle(OracleKind kind, SearchSpace space, int initialPoints, AcquisitionKind acquisition) => kind switch
    {
        OracleKind.Bayes => new BayesianOracle(space, new BayesianOptions { InitialPoints = initialPoints, Acquisition = acquisition }),
        OracleKind.Random or OracleKind.Hyperband => new RandomOracle(space),
        _ => throw new SettingException("oracle", kind, Choice.Expected<OracleKind>()),
    };

    public static async Task<MnistStudy> RunAsync(TuneRequest request, ITunerObserver? observer = null, Func<ITrainingObserver?>? trialProgress = null, TextWriter? log = null, CancellationToken ct = default)
    {
        log ??= TextWriter.Null;
        SettingException.Check(request.Trials >= 1, "trials", request.Trials, "must be at least 1");
        SettingException.Check(request.InitialPoints >= 0, "initial_points", request.InitialPoints, "must be 0 or more");
        SettingException.Check(request.StaleAfter >= TimeSpan.FromSeconds(1), "stale_after", request.StaleAfter.TotalSeconds, "must be at least 1 second");
        request.TrialOptions.Validate();
        var device = Engine.Configure(request.Threads, request.Device);
        var asked = ModelBuilder.SeedSearchSpace().WithFixed(request.Fixed, "fixed hyperparameters"); // checked before a study is made
        var constraint = request.MaxMultAdds is { } max ? ModelBuilder.MultAddsBudget(max) : null;
        for (var i = 0; i < request.Enqueue.Count; i++) _ = Enqueued(new SearchSpace(asked.Parameters) { Constraint = constraint }, request.Enqueue[i], i);
        var pruner = Pruners.Create(request.Pruner);
        var hyperband = request.Oracle == OracleKind.Hyperband;
        if (hyperband && pruner is not NoPruner)
        {
            throw new ArgumentException($"oracle {Choice.Name(OracleKind.Hyperband)} does its own successive halving: use it with pruner {Choice.Name(PrunerKind.None)}, not {pruner.Name}");
        }
        var info = DatasetInfo.ByName(request.TrialOptions.Dataset);
        var dataset = await Dataset.LoadOrDownloadAsync(request.DataDir, info, log, ct: ct).ConfigureAwait(false);

        using var store = StudyStorage.Open(request.Storage, request.OutDir, request.Study, onRetry: message => observer?.OnWarning(message));
        var definition = new StudyDefinition(request.Study, asked.Parameters, request.Objective, info.Name, Json.Serialize(request.TrialOptions, indented: false))
        {
            TrialsAsToday = TrialOptionsAsToday,
            // Fixing nothing, a worker takes the study's own space: an earlier one, or one with hyperparameters fixed. Fixing some, it must match.
            IsEarlierSpace = request.Fixed.Count == 0 ? stored => ModelBuilder.IsEarlierSearchSpace(stored) || ModelBuilder.IsFixedSearchSpace(stored) : null,
        };
        store.OpenOrCreate(definition);
        // The study's own space: today's, an earlier one (a study stored before a hyperparameter was searched), or one with hyperparameters fixed.
        var space = new SearchSpace(store.Definition.Space) { Constraint = constraint };
        if (space.Fixed.Count > 0)
        {
            log.WriteLine($"Study {store.Location} holds {string.Join(", ", space.Fixed.Select(f => $"{f.Name} fixed at {f.Shown}"))}: the search leaves {(space.Fixed.Count == 1 ? "it" : "them")} there.");
        }
        if (space.Dimensions != definition.Space.Count)
        {
            var missing = definition.Space.Select(p => p.Name).Except(space.Parameters.Select(p => p.Name)).ToList();
            log.WriteLine($"Study {store.Location} was made before {string.Join(", ", missing)} {(missing.Count == 1 ? "was" : "were")} searched: " +
                          $"it goes on in its own space of {space.Dimensions} dimensions, {(missing.Count == 1 ? "that hyperparameter" : "those")} at the default (a new study searches all {definition.Space.Count}).");
        }
        var oracle = CreateOracle(request.Oracle, space, request.InitialPoints, request.Acquisition);
        if (request.Enqueue.Count > 0)
        {
            oracle = new EnqueuedOracle(oracle, space, request.Enqueue.Select((values, i) => Enqueued(space, values, i)).ToList());
        }
        if (constraint is not null) log.WriteLine($"The search tries only networks of {constraint.Description}.");
        var done = store.Trials().Count(t => t.IsFinished);
        var rungs = pruner.Rungs(request.TrialOptions.Epochs);
        var scheduler = hyperband
            ? new HyperbandScheduler(space, store.Definition.Goal.LossOf, request.TrialOptions.Epochs, request.Factor, request.HyperbandIterations, request.HyperbandMaxConfigurations, oracle)
            : null;
        if (scheduler is not null)
        {
            var (configs, epochs) = scheduler.Budget();
            log.WriteLine($"Hyperband: max {scheduler.MaxEpochs} epochs, factor {scheduler.Factor}, {scheduler.Brackets} brackets; one iteration starts {configs} configurations and trains {epochs} epochs in all" +
                          (request.HyperbandMaxConfigurations is { } cap && cap < configs * request.HyperbandIterations ? $" (capped at {cap} configurations by the trial budget)" : "") + ".");
        }
        log.WriteLine($"Study {store.Location}: {done} {(scheduler is null ? $"of {request.Trials} " : "")}trials done; oracle {(scheduler is null ? oracle.Name : scheduler.Name)}; pruner {pruner.Name}" +
                      (rungs.Count > 0 ? $" (rungs at {string.Join(", ", rungs.Select(r => r.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))} epochs)" : "") +
                      $"; each trial up to {request.TrialOptions.Epochs} epochs on {request.TrialOptions.DataFraction:P0} of the training data.");
        if (pruner is SuccessiveHalvingPruner asha && rungs.Count > 0 && scheduler is null)
        {
            var reaching = 1 + (request.Trials - 1) / Math.Pow(asha.ReductionFactor, rungs.Count);
            log.WriteLine($"ASHA: a trial goes on at each of {rungs.Count} rungs only in the top 1/{asha.ReductionFactor}, so about {reaching:0.#} of {request.Trials} trials reach the epoch cap (the first always does); the others end pruned.");
        }

        using var data = TrainingData.Create(dataset.Train, request.TrialOptions, info.ClassNames.Count, device);
        TensorBoardLog? tensorBoard = null;
        if (request.TensorBoardDir is { } tbDir)
        {
            tensorBoard = new TensorBoardLog(tbDir);
            log.WriteLine($"TensorBoard: {tensorBoard.LogDir} (trials in trial_N)");
        }
        var objective = new MnistTrialObjective(data, request.TrialOptions, store.Definition, device, trialProgress, tensorBoard?.LogDir, dataset.Checksums);
        var studyDir = Path.GetFullPath(request.OutDir); // the pictures, beside the SQLite file or wherever the study lives
        Directory.CreateDirectory(studyDir);
        var reporting = new StudyReporting(store, studyDir, tensorBoard, observer);
        var tuner = new Tuner(store, oracle, space, objective, new TunerOptions
        {
            MaxTrials = scheduler is null ? request.Trials : int.MaxValue,
            Seed = request.TrialOptions.Seed,
            StaleAfter = request.StaleAfter,
            HeartbeatInterval = TimeSpan.FromTicks(Math.Clamp(request.StaleAfter.Ticks / 6, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(10).Ticks)),
            Pruner = pruner,
            MaxEpochs = request.TrialOptions.Epochs,
            Scheduler = scheduler,
        }, reporting);
        await Task.Run(() => tuner.Run(ct), ct).ConfigureAwait(false);
        var pictures = StudyPlots.Write(studyDir, store.Definition, store.Trials());
        log.WriteLine($"Pictures: {string.Join(", ", pictures.Select(p => p + ".png/.svg"))} in {studyDir}");
        return MnistStudy.From(StudyReport.From(store));
    }

    /// <summary>The unit point of enqueued configuration <paramref name="index"/>, checked against the space and its constraint.</summary>
    private static double[] Enqueued(SearchSpace space, IReadOnlyDictionary<string, double> values, int index)
    {
        var source = $"enqueued configuration {index + 1}";
        var point = space.Point(values, source);
        if (!space.IsFeasible(point))
        {
            throw new ArgumentException($"{source} ({space.Format(space.Configuration(point))}) does not meet the search's constraint: {space.Constraint!.Description}");
        }
        return point;
    }

    /// <summary>After each trial: its score to TensorBoard, and the study's pictures redrawn.</summary>
    private sealed class StudyReporting(IStudyStore store, string dir, TensorBoardLog? tensorBoard, ITunerObserver? inner) : ITunerObserver
    {
        public void OnTrialStart(TrialRecord trial) => inner?.OnTrialStart(trial);

        public void OnTrialLost(TrialRecord trial, TimeSpan elapsed) => inner?.OnTrialLost(trial, elapsed);

        public void OnWaiting(int running) => inner?.OnWaiting(running);

        public void OnWarning(string message) => inner?.OnWarning(message);

        public void OnTrialEnd(TrialRecord trial, TrialOutcome? outcome, string? error, TimeSpan elapsed)
        {
            inner?.OnTrialEnd(trial, outcome, error, elapsed);
            var definition = store.Definition;
            var trials = store.Trials();
            if (tensorBoard is not null && outcome is not null)
            {
                var best = definition.Goal.Best(trials) is { Score: { } top } ? definition.Goal.BetterOf(outcome.Score, top) : outcome.Score;
                tensorBoard.Trial(trial.Id, outcome.Score, best);
            }
            StudyPlots.Write(dir, definition, trials);
        }
    }

    /// <summary>
    /// A study's stored trial options as they are written today: read (a setting added since, such
    /// as the augmentations or the monitor, at what files without it mean) and written again; text
    /// that does not read as options stays as it is, and then differs.
    /// </summary>
    public static string TrialOptionsAsToday(string stored)
    {
        try
        {
            return Json.Serialize(Json.Deserialize<TrainingOptions>(stored, "stored trial options"), indented: false);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            return stored;
        }
    }

    /// <summary><c>mnist study show</c>: DIR/NAME of a SQLite study, or NAME in <paramref name="storage"/>.</summary>
    public static MnistStudy Show(string study, string? storage = null)
    {
        using var store = StudyStorage.OpenExisting(storage, study);
        return MnistStudy.From(StudyReport.From(store));
    }

    /// <summary>
    /// <c>mnist study importance</c>: the hyperparameter importances of a stored study
    /// (<see cref="HyperparameterImportance.Compute"/> on its stored space and trials).
    /// </summary>
    public static ImportanceReport Importance(string study, string? storage = null, int seed = 0, int? rung = null)
    {
        using var store = StudyStorage.OpenExisting(storage, study);
        return HyperparameterImportance.Compute(store.Definition, store.Trials(), seed, rung);
    }
}
