using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Reporting;
using Mnist.Core.Tests.Reporting;
using Mnist.Core.Tuning;
using Mnist.Testing;
using Mnist.Core.Training;

namespace Mnist.Core.Tests.Tuning;

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class MnistTuningTests
{
    [Fact]
    public async Task Given_a_tiny_budget_When_tuning_on_mnist_Then_trials_record_their_epochs_and_a_best_configuration_results()
    {
        using var dir = new TempDir();
        var request = new TuneRequest
        {
            OutDir = dir.Path,
            Study = "tiny",
            DataDir = TestData.MnistDir,
            Trials = 2,
            InitialPoints = 1,
            TrialOptions = new Core.Training.TrainingOptions { Epochs = 2, TrainLimit = 1500, Seed = 1 },
            TensorBoardDir = Path.Combine(dir.Path, "tb"),
        };

        var study = await TuneRun.RunAsync(request);
        var report = study.Report;

        Assert.Equal(2, report.Completed);
        Assert.InRange(report.Best!.Score!.Value, 0.5, 1.0);
        using var store = SqliteStudyStore.OpenExisting(request.StudyPath);
        Assert.All(store.Trials(), t => Assert.Equal(2, store.Epochs(t.Id).Count));
        Assert.NotNull(study.BestConfig);
        Assert.Equal(study.BestConfig!.Dense.Count, (int)report.Best.Hyperparameters["dense_layers"]);
        var json = System.Text.Json.JsonDocument.Parse(study.ToJson()).RootElement;
        Assert.Equal(["study", "objective", "trials", "best", "best_config", "completed", "pruned", "failed", "epochs_trained"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(study.BestConfig.Conv1Filters, json.GetProperty("best_config").GetProperty("conv1_filters").GetInt32());

        Assert.True(PlotFiles.Exists(dir.Path, "tiny_history"));
        Assert.True(PlotFiles.Exists(dir.Path, "tiny_params"));
        var events = TfRecords.ReadAll(Path.Combine(dir.Path, "tb"));
        Assert.True(TfRecords.Contains(events, "study/score") && TfRecords.Contains(events, "study/best_score"));
        foreach (var t in store.Trials())
        {
            var trial = TfRecords.ReadAll(Path.Combine(dir.Path, "tb", $"trial_{t.Id}"));
            Assert.True(TfRecords.Contains(trial, "hparams/learning_rate"), $"trial {t.Id}");
            Assert.True(TfRecords.Contains(trial, "val_accuracy"), $"trial {t.Id}");
        }
    }

    /// <summary>Cancels the search when the worker is told to wait; records what it heard.</summary>
    private sealed class CancelWhenWaiting(CancellationTokenSource cts) : ITunerObserver
    {
        public int Running { get; private set; } = -1;

        public void OnWaiting(int running)
        {
            Running = running;
            cts.Cancel();
        }
    }

    [Fact]
    public async Task Given_another_workers_running_trial_and_a_spent_budget_When_tuning_Then_the_callers_observer_hears_the_worker_wait()
    {
        using var dir = new TempDir();
        var request = new TuneRequest
        {
            OutDir = dir.Path,
            DataDir = TestData.MnistDir,
            Trials = 1,
            TrialOptions = new Core.Training.TrainingOptions { Epochs = 1, TrainLimit = 1500 },
        };
        var space = ModelBuilder.SeedSearchSpace();
        double[] middle = [.. space.Parameters.Select(_ => 0.5)];
        using (var other = new SqliteStudyStore(request.StudyPath))
        {
            other.OpenOrCreate(new StudyDefinition(request.Study, space.Parameters, request.Objective, "mnist"));
            Assert.NotNull(other.Claim(new ClaimRequest(WorkerIdentity.NewForThisProcess(), 1, TimeSpan.FromHours(1), _ => new TrialProposal(middle, space.FromUnit(middle)))));
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var observer = new CancelWhenWaiting(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TuneRun.RunAsync(request, observer, ct: cts.Token));

        Assert.Equal(1, observer.Running);
    }

    [Fact]
    public async Task Given_a_study_stored_before_conv_layers_per_block_was_searched_When_tuned_again_Then_it_goes_on_in_its_own_space()
    {
        using var dir = new TempDir();
        var request = new TuneRequest
        {
            OutDir = dir.Path,
            DataDir = TestData.MnistDir,
            Trials = 2,
            InitialPoints = 1, // the second trial is the Bayesian oracle's, fitted on the first's point of the earlier space
            TrialOptions = new Core.Training.TrainingOptions { Epochs = 1, TrainLimit = 1500 },
        };
        var earlier = new SearchSpace([.. ModelBuilder.SeedSearchSpace().Parameters.Where(p => p.Name != "conv_layers_per_block")]);
        double[] middle = [.. earlier.Parameters.Select(_ => 0.5)];
        using (var before = new SqliteStudyStore(request.StudyPath))
        {
            before.OpenOrCreate(new StudyDefinition(request.Study, earlier.Parameters, request.Objective, "mnist"));
            var worker = WorkerIdentity.NewForThisProcess();
            var trial = before.Claim(new ClaimRequest(worker, 1, TimeSpan.FromHours(1), _ => new TrialProposal(middle, earlier.FromUnit(middle))))!;
            Assert.True(before.Finish(trial.Id, worker, new TrialResult(TrialStatus.Completed, 0.9, 1, 1, 1)));
        }
        var log = new StringWriter();

        await TuneRun.RunAsync(request, log: log);

        Assert.Contains("was made before conv_layers_per_block was searched", log.ToString(), StringComparison.Ordinal);
        using var store = SqliteStudyStore.OpenExisting(request.StudyPath);
        Assert.Equal(earlier.Parameters.Select(p => p.Name), store.Definition.Space.Select(p => p.Name));
        var second = store.Trials().Single(t => t.Id != store.Trials().Min(x => x.Id));
        Assert.Equal(TrialStatus.Completed, second.Status);
        Assert.DoesNotContain("conv_layers_per_block", second.Hyperparameters.Keys);
        Assert.Equal(earlier.Dimensions, second.Unit.Length);
    }

    [Fact]
    public async Task Given_conv_layers_per_block_fixed_When_tuned_and_resumed_without_it_Then_every_trial_holds_it_and_another_fix_is_refused()
    {
        using var dir = new TempDir();
        var request = new TuneRequest
        {
            OutDir = dir.Path,
            DataDir = TestData.MnistDir,
            Trials = 2,
            InitialPoints = 5,
            Oracle = OracleKind.Random,
            Fixed = new Dictionary<string, double> { ["conv_layers_per_block"] = 2 },
            TrialOptions = new Core.Training.TrainingOptions { Epochs = 1, TrainLimit = 600 },
        };

        await TuneRun.RunAsync(request);
        var log = new StringWriter();
        await TuneRun.RunAsync(request with { Trials = 3, Fixed = new Dictionary<string, double>() }, log: log); // a worker that fixes nothing
        var refused = await Assert.ThrowsAsync<StudyMismatchException>(() => TuneRun.RunAsync(request with { Trials = 4, Fixed = new Dictionary<string, double> { ["conv_layers_per_block"] = 1 } }));

        Assert.Contains("holds conv_layers_per_block fixed at 2", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("conv_layers_per_block: fixed at 2", refused.Message, StringComparison.Ordinal);
        using var store = SqliteStudyStore.OpenExisting(request.StudyPath);
        Assert.Equal(3, store.Trials().Count);
        Assert.All(store.Trials(), t => Assert.Equal(2, t.Hyperparameters["conv_layers_per_block"]));
        Assert.IsType<FixedParameter>(store.Definition.Space.Single(p => p.Name == "conv_layers_per_block"));
    }

    [Fact]
    public async Task Given_a_tiny_preset_When_the_pipeline_runs_Then_it_tunes_retrains_the_best_and_writes_model_and_summary()
    {
        using var dir = new TempDir();
        var request = new PipelineRequest
        {
            OutDir = dir.Path,
            DataDir = TestData.MnistDir,
            Preset = new PipelinePreset("tiny", 2, 1, 1, 1.0, 2),
            TrainLimit = 1500,
            CompareWithSeed = true,
            TensorBoardDir = Path.Combine(dir.Path, "tb"),
        };

        var summary = await PipelineRun.RunAsync(request);

        Assert.Equal(2, summary.CompletedTrials);
        Assert.True(File.Exists(Path.Combine(dir.Path, "final", RunFolder.ModelFileName)));
        Assert.True(File.Exists(Path.Combine(dir.Path, "pipeline.json")));
        Assert.Contains("test accuracy", File.ReadAllText(Path.Combine(dir.Path, "pipeline.md")));
        Assert.InRange(summary.TestAccuracy, 0.5, 1.0);
        Assert.NotNull(summary.SeedTestAccuracy);
        var manifest = ModelFile.Read(summary.ModelPath).Manifest;
        Assert.Equal(summary.FinalConfig, manifest.Hyperparameters);

        foreach (var name in RunPlots.Names) Assert.True(PlotFiles.Exists(Path.Combine(dir.Path, "final"), name), name);
        Assert.True(PlotFiles.Exists(dir.Path, "study_history") && PlotFiles.Exists(dir.Path, "study_params"));
        var html = File.ReadAllText(Path.Combine(dir.Path, RunReport.FileName));
        Assert.Contains("<h2>Pipeline</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Run <code>final</code></h2>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Run <code>seed-baseline</code></h2>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Study <code>study</code></h2>", html, StringComparison.Ordinal);
        foreach (var sub in new[] { "search", "search/trial_0", "final", "seed-baseline" })
        {
            Assert.True(TfRecords.Contains(TfRecords.ReadAll(Path.Combine(dir.Path, "tb", sub)), sub == "search" ? "study/score" : "val_loss"), sub);
        }
    }

    /// <summary>Cancels the run when the <paramref name="n"/>-th epoch (counting every training of the process) ends.</summary>
    private sealed class CancelAtEpoch(CancellationTokenSource cts, int n, Func<int> next) : Core.Training.ITrainingObserver
    {
        public void OnEpochEnd(Core.Training.EpochRecord record, bool improved, Core.Training.TrainerState state)
        {
            if (next() == n) cts.Cancel();
        }
    }

    [Fact]
    public async Task Given_an_ensemble_of_3_from_seeds_When_the_pipeline_ends_Then_it_delivers_the_ensemble_of_the_final_model_and_two_more_seeds()
    {
        using var dir = new TempDir();

        var summary = await PipelineRun.RunAsync(TinyPipeline(dir.Path) with { Ensemble = 3 });

        Assert.Equal(Path.Combine(dir.Path, PipelineRun.EnsembleDir, RunFolder.ModelFileName), summary.ModelPath);
        var members = ModelFile.Read(summary.ModelPath).Manifest.Members!;
        Assert.Equal([PipelineRun.FinalDir, PipelineRun.MemberDir(2), PipelineRun.MemberDir(3)], members.Select(m => Path.GetFileName(Path.GetDirectoryName(m.Source))));
        Assert.Equal([42, 43, 44], members.Select(m => m.Training!.Seed));
        Assert.All(members, m => Assert.Equal(42, m.Training!.ValidationSeed)); // one validation split: the ensemble can be judged on it
        Assert.All(members, m => Assert.Equal(summary.FinalConfig, m.Hyperparameters));
        Assert.Equal((3, "seeds"), (summary.EnsembleSize, summary.EnsembleFrom));
        Assert.InRange(summary.EnsembleTestAccuracy!.Value, 0.5, 1.0);
        Assert.Contains("Ensemble of 3", File.ReadAllText(Path.Combine(dir.Path, PipelineRun.SummaryMarkdownName)), StringComparison.Ordinal);
        Assert.Contains("<h2>Run <code>ensemble</code></h2>", File.ReadAllText(Path.Combine(dir.Path, RunReport.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_ensemble_from_trials_takes_the_completed_trials_by_rank_then_the_pruned_by_score_skipping_the_best_and_repeats()
    {
        static TrialRecord T(int id, TrialStatus status, double? score, double conv1) =>
            new(id, status, new Dictionary<string, double> { ["conv1_filters"] = conv1 }, [], score, 1, null, "w", null, null, null, null, 1);
        var trials = new[]
        {
            T(0, TrialStatus.Completed, 0.97, 32), T(1, TrialStatus.Pruned, 0.95, 48), T(2, TrialStatus.Completed, 0.99, 64),
            T(3, TrialStatus.Completed, 0.98, 32), T(4, TrialStatus.Pruned, 0.96, 80), T(5, TrialStatus.Failed, null, 96),
        };
        var definition = new StudyDefinition("s", ModelBuilder.SeedSearchSpace().Parameters, TuningObjective.ValAccuracy);
        var report = StudyReport.From(definition, trials);

        var others = PipelineRun.OtherTrials(report, 3);

        Assert.Equal([3, 4, 1], others.Select(t => t.Id)); // 2 is the best, 0 repeats 3's configuration
        Assert.Throws<InvalidOperationException>(() => PipelineRun.OtherTrials(report, 4));
    }

    private static PipelineRequest TinyPipeline(string dir) => new()
    {
        OutDir = dir,
        DataDir = TestData.MnistDir,
        Preset = new PipelinePreset("tiny", 2, 1, 1, 1.0, 3),
        TrainLimit = 1500,
    };

    private static IEnumerable<(int, double, double, double, double, double)> Metrics(IEnumerable<Core.Training.EpochRecord> history) =>
        history.Select(e => (e.Epoch, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy, e.LearningRate));

    [Fact]
    public async Task Given_a_search_on_all_the_data_When_the_pipeline_trains_the_best_configuration_Then_it_continues_the_best_trial_and_ends_where_training_from_scratch_ends()
    {
        using var dir = new TempDir();
        var log = new StringWriter();

        var summary = await PipelineRun.RunAsync(TinyPipeline(dir.Path), log: log);

        Assert.Contains($"Continuing trial {summary.BestTrial} of study 'study' after its epoch 1", log.ToString(), StringComparison.Ordinal);
        Assert.Equal((1, 3), (summary.FinalEpochsFromTrial, summary.FinalEpochs));
        var final = ModelFile.Read(summary.ModelPath);
        Assert.Equal(new ContinuedRun($"trial {summary.BestTrial} of study 'study'", 1), final.Manifest.ContinuedFrom);
        using (var store = SqliteStudyStore.OpenExisting(Path.Combine(dir.Path, PipelineRun.StudyName + ".db")))
        {
            Assert.Equal(store.Epochs(summary.BestTrial!.Value), final.History.Take(1));
        }
        var scratch = await Core.Training.TrainingRun.RunAsync(new Core.Training.TrainRequest
        {
            OutDir = Path.Combine(dir.Path, "scratch"),
            DataDir = TestData.MnistDir,
            Config = summary.FinalConfig,
            Options = new Core.Training.TrainingOptions { Epochs = 3, TrainLimit = 1500 },
        });
        Assert.Equal(Metrics(scratch.Fit.History), Metrics(final.History));
        Assert.Equal(ModelFile.Read(scratch.ModelPath).Weights, final.Weights);
    }

    [Fact]
    public async Task Given_hyperband_When_the_pipeline_runs_Then_its_brackets_set_the_trials_and_the_final_training_continues_the_best()
    {
        using var dir = new TempDir();
        var log = new StringWriter();
        // max_epochs 2, factor 2: two brackets (two 1-epoch configurations, the better promoted to 2 epochs; two 2-epoch configurations).
        var request = TinyPipeline(dir.Path) with { Preset = new PipelinePreset("tiny", 30, 1, 2, 1.0, 3, PrunerKind.Asha), Oracle = OracleKind.Hyperband, Factor = 2 };

        var summary = await PipelineRun.RunAsync(request, log: log);

        Assert.Equal((4, 3, 1), (summary.Trials, summary.CompletedTrials, summary.PrunedTrials));
        Assert.Equal(2, summary.FinalEpochsFromTrial);
        Assert.Contains("Hyperband", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_a_search_on_a_share_of_the_data_When_the_pipeline_trains_the_best_configuration_Then_it_starts_from_scratch_and_says_why()
    {
        using var dir = new TempDir();
        var log = new StringWriter();

        var summary = await PipelineRun.RunAsync(TinyPipeline(dir.Path) with { Preset = new PipelinePreset("tiny", 2, 1, 1, 0.5, 1) { EnqueueDefaults = true } }, log: log);

        Assert.Contains("starts from scratch rather than continue", log.ToString(), StringComparison.Ordinal);
        using (var store = SqliteStudyStore.OpenExisting(Path.Combine(dir.Path, PipelineRun.StudyName + ".db")))
        {
            // The enqueued seed model came first.
            Assert.Equal(ModelConfig.Seed.ToString(), ModelBuilder.Configure(new HyperParameters(store.Trials()[0].Hyperparameters)).ToString());
        }
        Assert.Equal((0, 1), (summary.FinalEpochsFromTrial, summary.FinalEpochs));
        Assert.Null(ModelFile.Read(summary.ModelPath).Manifest.ContinuedFrom);
    }

    [Fact]
    public async Task Given_a_pipeline_interrupted_in_its_final_training_When_run_again_Then_the_search_is_kept_and_the_final_training_resumes()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var epochs = 0;
        var request = TinyPipeline(dir.Path);
        // Two one-epoch trials, then the final training, which continues the best trial: cancelled when its first epoch (the second) ends.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PipelineRun.RunAsync(request, progress: () => new CancelAtEpoch(cts, 3, () => ++epochs), ct: cts.Token));
        var checkpoint = ModelFile.Read(Path.Combine(dir.Path, "final", RunFolder.CheckpointFileName));
        Assert.Equal(2, checkpoint.TrainerState!.EpochsDone);
        IReadOnlyList<TrialRecord> before;
        using (var store = SqliteStudyStore.OpenExisting(Path.Combine(dir.Path, PipelineRun.StudyName + ".db"))) before = store.Trials();

        var log = new StringWriter();
        var summary = await PipelineRun.RunAsync(request, log: log);

        using var after = SqliteStudyStore.OpenExisting(Path.Combine(dir.Path, PipelineRun.StudyName + ".db"));
        Assert.Equal(before.Select(t => (t.Id, t.Attempts, t.Score)), after.Trials().Select(t => (t.Id, t.Attempts, t.Score)));
        Assert.Contains("Resuming", log.ToString(), StringComparison.Ordinal);
        Assert.Equal((3, 1), (summary.FinalEpochs, summary.FinalEpochsFromTrial));
        var final = ModelFile.Read(summary.ModelPath);
        Assert.Equal(checkpoint.History, final.History.Take(2));
    }

    [Fact]
    public async Task Given_a_pipeline_interrupted_inside_its_second_trial_When_run_again_Then_the_first_trial_is_kept_and_the_second_is_run_again()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var request = TinyPipeline(dir.Path) with { Preset = new PipelinePreset("tiny", 2, 1, 2, 1.0, 1) };
        var epochs = 0;
        // Trial 0 trains two epochs; trial 1 is cancelled when its first epoch ends.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PipelineRun.RunAsync(request, progress: () => new CancelAtEpoch(cts, 3, () => ++epochs), ct: cts.Token));
        TrialRecord first;
        using (var store = SqliteStudyStore.OpenExisting(Path.Combine(dir.Path, PipelineRun.StudyName + ".db")))
        {
            var trials = store.Trials();
            Assert.Equal((TrialStatus.Completed, TrialStatus.Queued), (trials[0].Status, trials[1].Status));
            first = trials[0];
        }

        var summary = await PipelineRun.RunAsync(request);

        using var after = SqliteStudyStore.OpenExisting(Path.Combine(dir.Path, PipelineRun.StudyName + ".db"));
        var again = after.Trials();
        Assert.Equal((first.Attempts, first.Score), (again[0].Attempts, again[0].Score));
        Assert.Equal((TrialStatus.Completed, 2), (again[1].Status, again[1].Attempts));
        Assert.Equal(2, summary.CompletedTrials);
    }
}
