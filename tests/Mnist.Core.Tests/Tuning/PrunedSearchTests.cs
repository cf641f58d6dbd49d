using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// A search with a pruner, end to end on a SQLite study: trials report a synthetic learning curve
/// at the pruner's rungs, the pruner stops the poor ones, the store records their rung values and
/// fractional epochs, and the oracle learns from them. Also how a worker behaves when its trial is
/// taken from it, and when it has nothing left to claim while another worker's trial runs.
/// </summary>
public sealed class PrunedSearchTests(PrunedSearchFixture search) : IDisposable, IClassFixture<PrunedSearchFixture>
{
    private const double MaxEpochs = 4;
    private const double Lift = 50;
    private static readonly SearchSpace Space = TestFunctions.BraninSpace;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static StudyDefinition Branin => new("branin", Space.Parameters, TuningObjective.ValLoss);

    /// <summary>
    /// A learning curve: Branin plus a lift that decays with the images seen, the same for every
    /// configuration, so configurations rank alike at every rung and the final value is the lowest.
    /// </summary>
    private static double Curve(IReadOnlyDictionary<string, double> p, double epochs) => TestFunctions.Branin(p) + Lift * Math.Exp(-epochs);

    private SqliteStudyStore Open()
    {
        var store = new SqliteStudyStore(_dir.File("study.db"));
        store.OpenOrCreate(Branin);
        return store;
    }

    private static Tuner TunerFor(IStudyStore store, ITrialObjective objective, int trials, string worker = "w", IPruner? pruner = null,
        IOracle? oracle = null, ITunerObserver? observer = null, TimeSpan? heartbeat = null, TimeSpan? wait = null) =>
        new(store, oracle ?? new BayesianOracle(Space, new BayesianOptions { InitialPoints = 3 }), Space, objective,
            new TunerOptions
            {
                MaxTrials = trials,
                Worker = worker,
                Seed = 7,
                Pruner = pruner ?? new SuccessiveHalvingPruner(),
                MaxEpochs = MaxEpochs,
                HeartbeatInterval = heartbeat ?? TimeSpan.FromMinutes(1),
                WaitInterval = wait ?? TimeSpan.FromMilliseconds(20),
            },
            observer);

    /// <summary>The search of 12 trials with ASHA and the Bayesian oracle, run once for the tests that read it (<see cref="PrunedSearchFixture"/>).</summary>
    internal static (IReadOnlyList<TrialRecord> Trials, int Ran, RecordingOracle Oracle, CurveObjective Objective) RunPrunedSearch(string path)
    {
        using var store = new SqliteStudyStore(path);
        store.OpenOrCreate(Branin);
        var oracle = new RecordingOracle(new BayesianOracle(Space, new BayesianOptions { InitialPoints = 3 }));
        var objective = new CurveObjective(Curve, MaxEpochs);
        var ran = TunerFor(store, objective, 12, oracle: oracle).Run();
        return (store.Trials(), ran, oracle, objective);
    }

    private (IReadOnlyList<TrialRecord> Trials, int Ran, RecordingOracle Oracle, CurveObjective Objective) PrunedSearch() =>
        (search.Trials, search.Ran, search.Oracle, search.Objective);

    [Fact]
    public void Given_asha_and_12_trials_When_tuning_Then_every_trial_ends_completed_or_pruned_and_some_are_pruned()
    {
        var (trials, ran, _, _) = PrunedSearch();

        Assert.Equal(12, ran);
        Assert.Equal(12, trials.Count);
        Assert.All(trials, t => Assert.True(t.Status is TrialStatus.Completed or TrialStatus.Pruned, $"trial {t.Id} is {t.Status}: {t.Message}"));
        Assert.Contains(trials, t => t.Status == TrialStatus.Pruned);
        Assert.Contains(trials, t => t.Status == TrialStatus.Completed);
    }

    [Fact]
    public void Given_asha_When_a_trial_is_pruned_Then_its_rung_its_values_up_to_it_and_its_fractional_epochs_are_recorded()
    {
        var (trials, _, _, _) = PrunedSearch();
        var rungs = new SuccessiveHalvingPruner().Rungs(MaxEpochs);

        var pruned = trials.Where(t => t.Status == TrialStatus.Pruned).ToList();
        Assert.NotEmpty(pruned);
        Assert.All(pruned, t =>
        {
            Assert.NotNull(t.Rung);
            Assert.Equal(Enumerable.Range(0, t.Rung!.Value + 1), t.Rungs.Select(r => r.Rung));
            Assert.Equal(rungs.Take(t.Rung.Value + 1), t.Rungs.Select(r => r.Epochs));
            Assert.Equal(rungs[t.Rung.Value], t.Epochs!.Value, 12);
        });
        Assert.Contains(pruned, t => t.Epochs!.Value % 1 != 0); // pruned inside the first epoch: 1/9 or 1/3 of it
    }

    [Fact]
    public void Given_asha_When_a_trial_runs_to_the_cap_Then_it_has_a_value_at_every_rung_and_the_full_epochs()
    {
        var (trials, _, _, _) = PrunedSearch();

        Assert.All(trials.Where(t => t.Status == TrialStatus.Completed), t =>
        {
            Assert.Null(t.Rung);
            Assert.Equal([0, 1, 2, 3], t.Rungs.Select(r => r.Rung));
            Assert.Equal(MaxEpochs, t.Epochs);
            Assert.Equal(Curve(t.Hyperparameters, MaxEpochs), t.Score!.Value, 10);
        });
    }

    [Fact]
    public void Given_asha_When_tuning_Then_fewer_epochs_are_trained_than_every_trial_running_to_the_cap()
    {
        var (trials, _, _, _) = PrunedSearch();

        var total = trials.Sum(t => t.Epochs!.Value);

        Assert.True(total < 12 * MaxEpochs, $"{total} epochs in all");
    }

    [Fact]
    public void Given_asha_When_a_trial_is_pruned_Then_its_score_is_its_value_at_its_last_rung()
    {
        var (trials, _, _, _) = PrunedSearch();

        Assert.All(trials.Where(t => t.Status == TrialStatus.Pruned), t =>
        {
            var last = t.Rungs[^1];
            Assert.Equal(t.Rung, last.Rung);
            Assert.Equal(last.Value, t.Score);
            Assert.Equal(Curve(t.Hyperparameters, last.Epochs), t.Score!.Value, 10);
        });
    }

    [Fact]
    public void Given_one_worker_When_tuning_with_asha_Then_each_decision_is_the_pruners_on_the_values_recorded_so_far()
    {
        var (trials, _, _, objective) = PrunedSearch();
        var pruner = new SuccessiveHalvingPruner();

        foreach (var t in trials)
        {
            foreach (var value in t.Rungs)
            {
                var sofar = trials.Where(o => o.Id <= t.Id).SelectMany(o => o.Rungs).Where(r => r.Rung == value.Rung).Select(r => r.Value).ToList();
                var expected = pruner.ShouldPrune(value.Rung, value.Value, sofar);
                Assert.True(expected == (t.Rung == value.Rung), $"trial {t.Id} at rung {value.Rung}: the pruner says {(expected ? "prune" : "go on")} on [{string.Join(", ", sofar)}], the trial {(t.Rung == value.Rung ? "was pruned" : "went on")}");
                Assert.Contains((t.Id, value.Rung, expected), objective.Decisions);
            }
        }
    }

    [Fact]
    public void Given_a_maximised_objective_When_tuning_with_asha_Then_the_pruner_decides_on_losses_and_keeps_the_highest_accuracies()
    {
        using var store = new SqliteStudyStore(_dir.File("accuracy.db"));
        store.OpenOrCreate(Branin with { Objective = TuningObjective.ValAccuracy });
        static double Accuracy(IReadOnlyDictionary<string, double> p, double epochs) => 1 - Curve(p, epochs) / 1000;
        var objective = new CurveObjective(Accuracy, MaxEpochs);

        TunerFor(store, objective, 8, oracle: new RandomOracle(Space)).Run();

        var trials = store.Trials();
        var pruner = new SuccessiveHalvingPruner();
        Assert.Contains(trials, t => t.Status == TrialStatus.Pruned);
        foreach (var t in trials)
        {
            foreach (var value in t.Rungs)
            {
                var sofar = trials.Where(o => o.Id <= t.Id).SelectMany(o => o.Rungs).Where(r => r.Rung == value.Rung).Select(r => -r.Value).ToList();
                Assert.Equal(pruner.ShouldPrune(value.Rung, -value.Value, sofar), t.Rung == value.Rung);
            }
        }
        var second = trials[1]; // at the first rung it meets only trial 0: it goes on only with the higher accuracy
        Assert.Equal(second.Rungs[0].Value < trials[0].Rungs[0].Value, second.Rung == 0);
    }

    [Fact]
    public void Given_asha_When_tuning_Then_no_two_trials_are_near_duplicates()
    {
        var (trials, _, _, _) = PrunedSearch();

        for (var i = 0; i < trials.Count; i++)
        {
            for (var j = i + 1; j < trials.Count; j++)
            {
                Assert.False(Space.NearDuplicate(trials[i].Unit, trials[j].Unit), $"trials {i} and {j}: {Space.Format(trials[i].Hyperparameters)} vs {Space.Format(trials[j].Hyperparameters)}");
            }
        }
    }

    [Fact]
    public void Given_pruned_trials_in_the_history_When_the_bayesian_oracle_proposes_after_its_initial_points_Then_it_sees_them_at_low_fidelity_and_proposes_distinct_points()
    {
        var (trials, _, oracle, _) = PrunedSearch();

        var informed = oracle.Calls.Where(c => c.Finished >= 3 && c.LowFidelity > 0).ToList();
        Assert.NotEmpty(informed);
        Assert.All(oracle.Calls, c => Assert.True(c.Partial >= c.LowFidelity, "a pruned trial comes with its rung values"));
        Assert.Equal(12, trials.Select(t => Space.Key(t.Unit)).Distinct().Count());
        Assert.Equal(12, oracle.Calls.Count);
    }

    [Theory]
    [InlineData(PrunedTrialModel.ResourceInput, AcquisitionKind.Ucb)]
    [InlineData(PrunedTrialModel.ResourceInput, AcquisitionKind.Ei)]
    [InlineData(PrunedTrialModel.LastValue, AcquisitionKind.Ucb)]
    public void Given_a_history_of_pruned_completed_running_and_failed_trials_When_the_bayesian_oracle_proposes_Then_it_proposes_points_unlike_any_tried(PrunedTrialModel model, AcquisitionKind acquisition)
    {
        var oracle = new BayesianOracle(Space, new BayesianOptions { InitialPoints = 3, PrunedTrials = model, Acquisition = acquisition, RandomCandidates = 300, KernelRestarts = 1 });
        var fidelity = Observation.FidelityScale(1.0 / 9, MaxEpochs);
        var rungs = new SuccessiveHalvingPruner().Rungs(MaxEpochs);
        var rng = new Random(21);
        var history = new List<Observation>();

        for (var i = 0; i < 12; i++)
        {
            var u = oracle.Suggest(history, rng);
            Assert.Equal(2, u.Length);
            Assert.All(u, v => Assert.InRange(v, 0, 1));
            Assert.DoesNotContain(history, h => Space.NearDuplicate(h.Unit, u));
            var p = Space.FromUnit(u);
            var partial = rungs.Select(r => (fidelity(r), Curve(p, r))).ToList();
            history.Add((i % 4) switch
            {
                0 => new Observation(u, Curve(p, MaxEpochs)) { Partial = partial },
                1 => new Observation(u, Curve(p, rungs[0])) { Fidelity = fidelity(rungs[0]), Partial = partial.Take(1).ToList() },
                2 => new Observation(u, Curve(p, rungs[1])) { Fidelity = fidelity(rungs[1]), Partial = partial.Take(2).ToList() },
                _ => i % 8 == 3 ? new Observation(u, null) { Partial = partial.Take(1).ToList() } : new Observation(u, double.NaN),
            });
        }
    }

    [Fact]
    public void Given_a_pruned_trial_When_made_an_observation_Then_its_fidelity_is_below_1_at_its_rung_and_its_rung_values_are_partial_losses()
    {
        var study = new StudyDefinition("s", Space.Parameters, TuningObjective.ValAccuracy);
        var fidelity = Observation.FidelityScale(1.0 / 9, MaxEpochs);
        var trial = Trial(TrialStatus.Pruned, 0.95, epochs: 1.0 / 3, rung: 1, new RungValue(0, 1.0 / 9, 0.90), new RungValue(1, 1.0 / 3, 0.95));

        var o = Observation.Of(trial, study, fidelity);

        Assert.Equal(-0.95, o.Loss);
        Assert.Equal(fidelity(1.0 / 3), o.Fidelity, 12);
        Assert.InRange(o.Fidelity, 0.01, 0.99);
        Assert.Equal([(0.0, -0.90), (fidelity(1.0 / 3), -0.95)], o.Partial);
        Assert.Equal(trial.Unit, o.Unit);
    }

    [Fact]
    public void Given_a_completed_trial_When_made_an_observation_Then_its_fidelity_is_1_and_its_rung_values_come_along()
    {
        var study = new StudyDefinition("s", Space.Parameters, TuningObjective.ValLoss);
        var fidelity = Observation.FidelityScale(1.0 / 9, MaxEpochs);
        var trial = Trial(TrialStatus.Completed, 0.05, epochs: 4, rung: null, new RungValue(0, 1.0 / 9, 0.4), new RungValue(1, 1.0 / 3, 0.2));

        var o = Observation.Of(trial, study, fidelity);

        Assert.Equal(0.05, o.Loss);
        Assert.Equal(1, o.Fidelity);
        Assert.Equal([0.4, 0.2], o.Partial.Select(p => p.Loss));
    }

    [Fact]
    public void Given_a_failed_trial_When_made_an_observation_Then_its_loss_is_nan()
    {
        var o = Observation.Of(Trial(TrialStatus.Failed, null, epochs: 0.5, rung: null), Branin, Observation.FidelityScale(1.0 / 9, MaxEpochs));

        Assert.True(o.Loss is { } l && double.IsNaN(l), $"loss {o.Loss}");
    }

    [Theory]
    [InlineData(TrialStatus.Running)]
    [InlineData(TrialStatus.Queued)]
    public void Given_a_trial_not_finished_When_made_an_observation_Then_its_loss_is_unknown_and_its_rung_values_so_far_come_along(TrialStatus status)
    {
        var o = Observation.Of(Trial(status, null, epochs: null, rung: null, new RungValue(0, 1.0 / 9, 0.7)), Branin, Observation.FidelityScale(1.0 / 9, MaxEpochs));

        Assert.Null(o.Loss);
        Assert.Equal([(0.0, 0.7)], o.Partial);
    }

    [Fact]
    public void Given_the_default_rungs_and_10_epochs_When_fidelity_is_scaled_Then_it_is_0_at_the_first_rung_1_at_the_cap_and_rises_in_between()
    {
        var f = Observation.FidelityScale(1.0 / 9, 10);

        Assert.Equal(0, f(1.0 / 9), 12);
        Assert.Equal(1, f(10), 12);
        Assert.Equal(Math.Log(9) / Math.Log(90), f(1), 12); // a log scale of the resource
        var grid = Enumerable.Range(0, 200).Select(i => 1.0 / 9 * Math.Pow(90, i / 199.0)).ToArray();
        var values = grid.Select(f).ToArray();
        for (var i = 1; i < values.Length; i++) Assert.True(values[i] > values[i - 1], $"f({grid[i]}) = {values[i]} is not above f({grid[i - 1]}) = {values[i - 1]}");
        Assert.Equal((0.0, 0.0, 1.0), (f(0), f(0.01), f(30)));
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(4.0, 1.0)]
    [InlineData(0.0, 4.0)]
    public void Given_no_span_of_resources_When_fidelity_is_scaled_Then_every_value_counts_as_full_fidelity(double min, double max)
    {
        var f = Observation.FidelityScale(min, max);

        Assert.Equal((1.0, 1.0, 1.0), (f(0.1), f(1), f(4)));
    }

    [Fact]
    public void Given_no_pruner_When_tuning_Then_the_objective_sees_no_rungs_and_every_trial_completes_with_its_full_epochs()
    {
        using var store = Open();
        var objective = new CurveObjective(Curve, MaxEpochs);

        var ran = TunerFor(store, objective, 4, pruner: new NoPruner()).Run();

        Assert.Equal(4, ran);
        Assert.Empty(objective.Decisions);
        Assert.All(store.Trials(), t => Assert.Equal((TrialStatus.Completed, MaxEpochs, 0), (t.Status, t.Epochs!.Value, t.Rungs.Count)));
    }

    [Fact]
    public void Given_a_trial_whose_value_at_a_rung_is_nan_When_asked_whether_to_prune_Then_it_is_pruned_and_recorded_as_a_diverged_failure()
    {
        using var store = Open();
        var decisions = new List<bool>();
        var objective = new CallbackObjective(c =>
        {
            if (c.Trial.Id != 1) return new TrialOutcome(TestFunctions.Branin(c.Trial.Hyperparameters), 1, 1);
            var prune = c.ShouldPrune(0, c.Rungs[0], double.NaN);
            decisions.Add(prune);
            return prune ? new TrialOutcome(double.NaN, 0, c.Rungs[0], 0) : new TrialOutcome(1, 1, 1);
        });

        TunerFor(store, objective, 3).Run();

        var trial = store.Trials()[1];
        Assert.True(trial.Status == TrialStatus.Failed && trial.Message!.Contains("NaN", StringComparison.Ordinal),
            $"trial 1 is {trial.Status}: '{trial.Message}'. Expected ShouldPrune(rung, epochs, NaN) to prune (Optuna prunes a NaN) " +
            "and the tuner to record the diverged trial as failed, not the store to fail on storing the NaN rung value.");
        Assert.Equal([true], decisions);
        Assert.Equal(3, store.Trials().Count(t => t.IsFinished));
    }

    [Fact]
    public void Given_a_trial_taken_by_another_worker_while_it_runs_When_it_finishes_Then_the_first_worker_does_not_count_it_and_the_thiefs_result_stands()
    {
        using var store = Open();
        using var thief = Open();
        var observer = new RecordingObserver();
        var objective = new CallbackObjective(c =>
        {
            if (c.Trial.Id == 1) Steal(thief, c.Trial.Id, score: 123);
            return new TrialOutcome(TestFunctions.Branin(c.Trial.Hyperparameters), 1, 1);
        });

        var ran = TunerFor(store, objective, 3, worker: "w", pruner: new NoPruner(), observer: observer).Run();

        var trials = store.Trials();
        Assert.Equal(2, ran);
        Assert.Equal((TrialStatus.Completed, 123.0, "thief", 2), (trials[1].Status, trials[1].Score!.Value, trials[1].Worker!, trials[1].Attempts));
        Assert.Equal([1], observer.Lost);
        Assert.Equal([0, 2], observer.Ended);
        Assert.All(new[] { trials[0], trials[2] }, t => Assert.Equal((TrialStatus.Completed, "w"), (t.Status, t.Worker!)));
    }

    [Fact]
    public void Given_a_trial_taken_by_another_worker_When_it_next_reports_at_a_rung_Then_it_stops_there_and_its_value_is_not_recorded_on_the_thiefs_attempt()
    {
        using var store = Open();
        using var thief = Open();
        var observer = new RecordingObserver();
        var objective = new CurveObjective(Curve, MaxEpochs, (c, rung) =>
        {
            if (c.Trial.Id == 1 && rung == 0) Steal(thief, c.Trial.Id, score: 321);
        });

        var ran = TunerFor(store, objective, 3, observer: observer).Run();

        var trials = store.Trials();
        Assert.Equal(2, ran);
        Assert.Equal((TrialStatus.Completed, 321.0, "thief", 2), (trials[1].Status, trials[1].Score!.Value, trials[1].Worker!, trials[1].Attempts));
        Assert.Empty(trials[1].Rungs);
        Assert.DoesNotContain(objective.Decisions, d => d.Trial == 1);
        Assert.Equal(2, store.RungValues(0).Count); // trials 0 and 2 only
        Assert.Equal([1], observer.Lost);
        Assert.Equal([0, 2], observer.Ended);
    }

    [Fact]
    public void Given_a_trial_taken_by_another_worker_When_its_heartbeat_next_beats_Then_the_trial_is_cancelled_and_not_counted()
    {
        using var store = Open();
        using var thief = Open();
        var observer = new RecordingObserver();
        var cancelled = false;
        var objective = new CallbackObjective(c =>
        {
            if (c.Trial.Id == 1)
            {
                Steal(thief, c.Trial.Id, score: 7);
                cancelled = c.Cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));
                c.Cancellation.ThrowIfCancellationRequested();
            }
            return new TrialOutcome(TestFunctions.Branin(c.Trial.Hyperparameters), 1, 1);
        });

        var ran = TunerFor(store, objective, 3, pruner: new NoPruner(), observer: observer, heartbeat: TimeSpan.FromMilliseconds(30)).Run();

        Assert.True(cancelled, "the heartbeat did not cancel the trial taken from this worker");
        Assert.Equal(2, ran);
        Assert.Equal([1], observer.Lost);
        Assert.Contains(observer.Warnings, w => w.Contains("trial 1 is no longer this worker's", StringComparison.Ordinal));
        Assert.Equal((7.0, "thief"), (store.Trials()[1].Score!.Value, store.Trials()[1].Worker!));
    }

    [Fact]
    public async Task Given_the_only_trial_left_running_on_another_worker_When_a_worker_has_nothing_to_claim_Then_it_waits_until_that_trial_ends()
    {
        using (Open()) { }
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var a = Task.Factory.StartNew(() =>
        {
            using var store = Open();
            var objective = new CallbackObjective(c =>
            {
                started.Set();
                if (!release.Wait(TimeSpan.FromSeconds(20))) throw new TimeoutException("never released");
                return new TrialOutcome(1, 1, 1);
            });
            return TunerFor(store, objective, 1, worker: "a", pruner: new NoPruner(), heartbeat: TimeSpan.FromMilliseconds(30)).Run();
        }, TaskCreationOptions.LongRunning);
        Assert.True(started.Wait(TimeSpan.FromSeconds(20)), "worker a never started its trial");
        var waiting = new RecordingObserver();
        var bRanTrials = new List<int>();
        var b = Task.Factory.StartNew(() =>
        {
            using var store = Open();
            var ran = TunerFor(store, new CallbackObjective(c => { bRanTrials.Add(c.Trial.Id); return new TrialOutcome(0, 1, 1); }), 1, worker: "b",
                pruner: new NoPruner(), observer: waiting, wait: TimeSpan.FromMilliseconds(10)).Run();
            return (Ran: ran, At: DateTimeOffset.UtcNow);
        }, TaskCreationOptions.LongRunning);

        Assert.True(SpinWait.SpinUntil(() => waiting.WaitCount >= 3, TimeSpan.FromSeconds(20)), "worker b never waited");
        Assert.False(b.IsCompleted, "worker b returned while worker a's trial was still running");
        release.Set();
        var ranA = await a.WaitAsync(TimeSpan.FromSeconds(20));
        var (ranB, returnedAt) = await b.WaitAsync(TimeSpan.FromSeconds(20));

        using var check = Open();
        var trial = Assert.Single(check.Trials());
        Assert.Equal((1, 0), (ranA, ranB));
        Assert.Empty(bRanTrials);
        Assert.All(waiting.Waits, running => Assert.Equal(1, running));
        Assert.Equal((TrialStatus.Completed, "a"), (trial.Status, trial.Worker!));
        Assert.True(returnedAt >= trial.Finished!.Value, $"worker b returned at {returnedAt:O}, before the trial finished at {trial.Finished:O}");
    }

    [Fact]
    public async Task Given_a_trial_running_on_a_worker_known_to_be_dead_When_another_worker_claims_Then_it_takes_the_trial_over_and_the_dead_ones_result_is_not_counted()
    {
        using (Open()) { }
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var dead = WorkerIdentity.Make(Environment.MachineName, int.MaxValue, 0); // no such process on this host
        var a = Task.Factory.StartNew(() =>
        {
            using var store = Open();
            var objective = new CallbackObjective(c =>
            {
                started.Set();
                WaitHandle.WaitAny([release.WaitHandle, c.Cancellation.WaitHandle], TimeSpan.FromSeconds(20));
                return new TrialOutcome(99, 1, 1);
            });
            return TunerFor(store, objective, 1, worker: dead, pruner: new NoPruner()).Run();
        }, TaskCreationOptions.LongRunning);
        Assert.True(started.Wait(TimeSpan.FromSeconds(20)), "the first worker never started its trial");

        int ranB;
        using (var store = Open()) ranB = TunerFor(store, new CallbackObjective(_ => new TrialOutcome(5, 1, 1)), 1, worker: "b", pruner: new NoPruner()).Run();
        release.Set();
        var ranA = await a.WaitAsync(TimeSpan.FromSeconds(20));

        using var check = Open();
        var trial = Assert.Single(check.Trials());
        Assert.Equal((0, 1), (ranA, ranB));
        Assert.Equal((TrialStatus.Completed, 5.0, "b", 2), (trial.Status, trial.Score!.Value, trial.Worker!, trial.Attempts));
    }

    /// <summary>Another worker ("thief") re-queues the running trial as stale, claims it and finishes it with <paramref name="score"/>.</summary>
    private static void Steal(IStudyStore thief, int trialId, double score)
    {
        // With a StaleAfter of zero any heartbeat older than now is stale; the budget is the trials made
        // so far, so the thief proposes nothing and retries until the trial's last beat is in the past.
        var request = new ClaimRequest("thief", trialId + 1, TimeSpan.Zero, _ => throw new InvalidOperationException("the thief should take the re-queued trial, not propose one"))
        {
            OwnerIsDead = _ => false,
        };
        TrialRecord? stolen = null;
        for (var attempt = 0; attempt < 200 && stolen is null; attempt++)
        {
            Thread.Sleep(5);
            stolen = thief.Claim(request);
        }
        if (stolen?.Id != trialId) throw new InvalidOperationException($"the thief claimed trial {stolen?.Id}, not {trialId}");
        if (!thief.Finish(trialId, "thief", TrialResult.Completed(score, 1, 1, 0.01))) throw new InvalidOperationException("the thief could not finish its trial");
    }

    private static TrialRecord Trial(TrialStatus status, double? score, double? epochs, int? rung, params RungValue[] rungs) =>
        new(3, status, Space.FromUnit([0.25, 0.75]), [0.25, 0.75], score, score is null ? null : 1, null, "w", null, null, null, null, 1, epochs, rung) { Rungs = rungs };

    /// <summary>
    /// Reports a learning curve at each of the pruner's rungs and stops where the pruner says so,
    /// with the value there as its score; otherwise trains to the cap.
    /// </summary>
    internal sealed class CurveObjective(Func<IReadOnlyDictionary<string, double>, double, double> curve, double maxEpochs, Action<TrialContext, int>? beforeRung = null) : ITrialObjective
    {
        public List<(int Trial, int Rung, bool Pruned)> Decisions { get; } = [];

        public TrialOutcome Run(TrialContext context)
        {
            var p = context.Trial.Hyperparameters;
            for (var rung = 0; rung < context.Rungs.Count; rung++)
            {
                var epochs = context.Rungs[rung];
                var score = curve(p, epochs);
                beforeRung?.Invoke(context, rung);
                var prune = context.ShouldPrune(rung, epochs, score);
                Decisions.Add((context.Trial.Id, rung, prune));
                if (prune) return new TrialOutcome(score, 0, epochs, rung);
            }
            return new TrialOutcome(curve(p, maxEpochs), (int)Math.Ceiling(maxEpochs), maxEpochs);
        }
    }

    private sealed class CallbackObjective(Func<TrialContext, TrialOutcome> run) : ITrialObjective
    {
        public TrialOutcome Run(TrialContext context) => run(context);
    }

    /// <summary>Passes every call on, and records what each proposal was made from.</summary>
    internal sealed class RecordingOracle(IOracle inner) : IOracle
    {
        public List<(int Finished, int LowFidelity, int Partial)> Calls { get; } = [];

        public string Name => inner.Name;

        public double[] Suggest(IReadOnlyList<Observation> history, Random rng)
        {
            Calls.Add((history.Count(h => h.Loss is { } l && double.IsFinite(l)), history.Count(h => h.Fidelity < 1), history.Count(h => h.Partial.Count > 0)));
            return inner.Suggest(history, rng);
        }
    }

    private sealed class RecordingObserver : ITunerObserver
    {
        private readonly Lock _gate = new();

        public List<int> Lost { get; } = [];
        public List<int> Ended { get; } = [];
        public List<int> Waits { get; } = [];

        public int WaitCount
        {
            get
            {
                lock (_gate) return Waits.Count;
            }
        }
        public List<string> Warnings { get; } = [];

        public void OnTrialEnd(TrialRecord trial, TrialOutcome? outcome, string? error, TimeSpan elapsed)
        {
            lock (_gate) Ended.Add(trial.Id);
        }

        public void OnTrialLost(TrialRecord trial, TimeSpan elapsed)
        {
            lock (_gate) Lost.Add(trial.Id);
        }

        public void OnWaiting(int running)
        {
            lock (_gate) Waits.Add(running);
        }

        public void OnWarning(string message)
        {
            lock (_gate) Warnings.Add(message);
        }
    }
}

/// <summary>One search with ASHA on a temporary study, shared by the tests that only read its trials.</summary>
public sealed class PrunedSearchFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public PrunedSearchFixture() => (Trials, Ran, Oracle, Objective) = PrunedSearchTests.RunPrunedSearch(_dir.File("search.db"));

    internal IReadOnlyList<TrialRecord> Trials { get; }
    internal int Ran { get; }
    internal PrunedSearchTests.RecordingOracle Oracle { get; }
    internal PrunedSearchTests.CurveObjective Objective { get; }

    public void Dispose() => _dir.Dispose();
}
