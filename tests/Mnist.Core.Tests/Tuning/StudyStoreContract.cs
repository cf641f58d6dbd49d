using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// What every <see cref="IStudyStore"/> does, run by one test class per store. Each test class instance works on
/// a study of its own (<see cref="StudyName"/>) that no other test sees.
/// </summary>
public abstract class StudyStoreContract : IDisposable
{
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>The study's name: unique to this test where the store's database holds other tests' studies.</summary>
    protected virtual string StudyName => "branin";

    protected StudyDefinition Branin => new(StudyName, TestFunctions.BraninSpace.Parameters, TuningObjective.ValLoss);

    /// <summary>A new store on this test's study, not yet opened (each call another store, as another process would have).</summary>
    protected abstract IStudyStore Unopened();

    /// <summary>A new store on this test's study, opened on <see cref="Branin"/>.</summary>
    protected IStudyStore Open()
    {
        var store = Unopened();
        try
        {
            store.OpenOrCreate(Branin);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static TrialProposal Point(double u) => new([u, u], TestFunctions.BraninSpace.FromUnit([u, u]));

    /// <summary>A claim whose proposals are distinct points (0.1, 0.2, ... by the trials so far).</summary>
    private static ClaimRequest Request(string worker, int maxTrials = 5, TimeSpan? staleAfter = null) =>
        new(worker, maxTrials, staleAfter ?? TimeSpan.FromMinutes(1), trials => Point(0.1 + 0.1 * trials.Count));

    /// <summary>Lets <paramref name="trial"/>'s heartbeat go stale; <paramref name="worker"/> then takes it over (its second attempt).</summary>
    private static TrialRecord TakeOver(IStudyStore store, TrialRecord trial, string worker)
    {
        Thread.Sleep(400);
        var taken = store.Claim(Request(worker, staleAfter: TimeSpan.FromMilliseconds(150)))!;
        Assert.Equal((trial.Id, trial.Attempts + 1, worker), (taken.Id, taken.Attempts, taken.Worker));
        return taken;
    }

    private static EpochRecord Epoch(int epoch, double loss = 0.5) => new(epoch, loss, 0.9, 0.6, 0.88, 1e-3, 2.5);

    private static Tuner TunerFor(IStudyStore store, int trials, ITrialObjective objective, string worker, TimeSpan? staleAfter = null) =>
        new(store, new BayesianOracle(TestFunctions.BraninSpace, new BayesianOptions { InitialPoints = 3 }), TestFunctions.BraninSpace, objective,
            new TunerOptions { MaxTrials = trials, Worker = worker, StaleAfter = staleAfter ?? TimeSpan.FromMinutes(2), HeartbeatInterval = TimeSpan.FromMilliseconds(200) });

    [Fact]
    public void Given_a_budget_When_a_worker_tunes_Then_every_trial_is_completed_with_its_score_and_timings()
    {
        using var store = Open();

        var ran = TunerFor(store, 8, new FunctionObjective(TestFunctions.Branin), "w1").Run();

        var trials = store.Trials();
        Assert.Equal(8, ran);
        Assert.Equal(Enumerable.Range(0, 8), trials.Select(t => t.Id));
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialStatus.Completed, t.Status);
            Assert.Equal(TestFunctions.Branin(t.Hyperparameters), t.Score!.Value, 10);
            Assert.Equal("w1", t.Worker);
            Assert.NotNull(t.Started);
            Assert.NotNull(t.Finished);
            Assert.Equal(1, t.Attempts);
        });
        Assert.Equal(8, trials.Select(t => TestFunctions.BraninSpace.Key(t.Unit)).Distinct().Count());
    }

    [Fact]
    public void Given_a_study_killed_mid_trial_When_tuning_again_Then_finished_trials_are_kept_and_the_stale_trial_is_re_run()
    {
        using (var first = Open())
        {
            TunerFor(first, 3, new FunctionObjective(TestFunctions.Branin), "w1").Run();
            // A fourth trial is claimed and its worker dies: no result, no more heartbeats.
            var orphan = first.Claim(new ClaimRequest("dead-worker", 6, TimeSpan.FromMinutes(2), _ => new TrialProposal([0.5, 0.5], TestFunctions.BraninSpace.FromUnit([0.5, 0.5]))));
            Assert.Equal(3, orphan!.Id);
        }
        var before = new Dictionary<int, double>();
        using (var s = Open()) foreach (var t in s.Trials().Where(t => t.Status == TrialStatus.Completed)) before[t.Id] = t.Score!.Value;
        Thread.Sleep(300);

        using var store = Open();
        TunerFor(store, 6, new FunctionObjective(TestFunctions.Branin), "w2", staleAfter: TimeSpan.FromMilliseconds(200)).Run();

        var trials = store.Trials();
        Assert.Equal(6, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialStatus.Completed, t.Status));
        foreach (var (id, score) in before) Assert.Equal(score, trials[id].Score);
        Assert.Equal((2, "w2"), (trials[3].Attempts, trials[3].Worker));
        Assert.Equal(0.5, trials[3].Unit[0]);
        Assert.All(trials.Where(t => t.Id != 3), t => Assert.Equal(1, t.Attempts));
    }

    [Fact]
    public void Given_a_live_heartbeat_When_another_worker_claims_Then_the_running_trial_is_not_taken()
    {
        using var store = Open();
        var running = store.Claim(new ClaimRequest("w1", 5, TimeSpan.FromMinutes(1), _ => new TrialProposal([0.1, 0.1], TestFunctions.BraninSpace.FromUnit([0.1, 0.1]))));

        var next = store.Claim(new ClaimRequest("w2", 5, TimeSpan.FromMinutes(1), _ => new TrialProposal([0.9, 0.9], TestFunctions.BraninSpace.FromUnit([0.9, 0.9]))));

        Assert.NotEqual(running!.Id, next!.Id);
        Assert.Equal("w1", store.Trials()[running.Id].Worker);
    }

    [Fact]
    public async Task Given_two_concurrent_workers_on_one_study_When_tuning_Then_no_trial_runs_twice_and_the_budget_is_shared()
    {
        using (Open()) { }
        var runs = new System.Collections.Concurrent.ConcurrentBag<(int Trial, string Worker)>();
        using var bothRunning = new CountdownEvent(2); // each worker's first trial waits until the other also holds one
        Task<int> Worker(string name) => Task.Factory.StartNew(() =>
        {
            using var store = Open();
            var first = true;
            var objective = new FunctionObjective(TestFunctions.Branin, c =>
            {
                runs.Add((c.Trial.Id, name));
                if (first)
                {
                    first = false;
                    bothRunning.Signal();
                    Assert.True(bothRunning.Wait(TimeSpan.FromSeconds(30)), "the other worker never got a trial while this one ran");
                }
                Thread.Sleep(20);
            });
            return TunerFor(store, 14, objective, name).Run();
        }, TaskCreationOptions.LongRunning);

        var counts = await Task.WhenAll(Worker("a"), Worker("b"));

        using var check = Open();
        var trials = check.Trials();
        Assert.Equal(14, counts.Sum());
        Assert.All(counts, c => Assert.True(c > 0));
        Assert.Equal(14, runs.Count);
        Assert.Equal(14, runs.Select(r => r.Trial).Distinct().Count());
        Assert.All(trials, t => Assert.Equal(TrialStatus.Completed, t.Status));
        Assert.All(runs, r => Assert.Equal(r.Worker, trials[r.Trial].Worker));
        Assert.Equal(14, trials.Select(t => TestFunctions.BraninSpace.Key(t.Unit)).Distinct().Count());
    }

    [Fact]
    public void Given_a_trial_that_throws_When_tuning_Then_it_is_recorded_as_failed_with_its_message_and_the_search_goes_on()
    {
        using var store = Open();
        var objective = new FunctionObjective(TestFunctions.Branin, c => { if (c.Trial.Id == 1) throw new InvalidOperationException("out of memory in trial 1"); });

        TunerFor(store, 5, objective, "w").Run();

        var trials = store.Trials();
        Assert.Equal(TrialStatus.Failed, trials[1].Status);
        Assert.Contains("out of memory in trial 1", trials[1].Message);
        Assert.Equal(4, trials.Count(t => t.Status == TrialStatus.Completed));
    }

    [Fact]
    public void Given_a_trial_that_yields_nan_When_tuning_Then_it_is_recorded_as_failed()
    {
        using var store = Open();

        TunerFor(store, 3, new FunctionObjective(p => p["x1"] > -100 && store.Trials().Count == 2 ? double.NaN : TestFunctions.Branin(p)), "w").Run();

        Assert.Contains("NaN", store.Trials()[1].Message);
    }

    [Fact]
    public void Given_three_failures_in_a_row_When_tuning_Then_the_search_stops_with_an_error_that_quotes_them()
    {
        using var store = Open();
        var objective = new FunctionObjective(TestFunctions.Branin, c => { if (c.Trial.Id >= 2) throw new ArgumentException($"bad trial {c.Trial.Id}"); });

        var e = Assert.Throws<TuningFailedException>(() => TunerFor(store, 10, objective, "w").Run());

        Assert.Contains("3 trials failed in a row", e.Message);
        Assert.Contains("bad trial 4", e.Message);
        Assert.Equal(5, store.Trials().Count);
    }

    [Fact]
    public void Given_a_study_When_reopened_with_another_space_Then_it_refuses_and_names_both_spaces()
    {
        using (Open()) { }
        using var store = Unopened();

        var e = Assert.Throws<StudyMismatchException>(() => store.OpenOrCreate(new StudyDefinition(StudyName, TestFunctions.HartmannSpace.Parameters, TuningObjective.ValLoss)));

        Assert.Contains("branin", e.Message);
        Assert.Contains("x1: float -5..10", e.Message);
        Assert.Contains("x6: float 0..1", e.Message);
    }

    [Fact]
    public void Given_a_study_whose_space_is_an_earlier_form_of_the_one_asked_When_reopened_Then_it_opens_in_its_own_space()
    {
        var earlier = TestFunctions.BraninSpace.Parameters.Take(1).ToArray();
        using (var first = Unopened()) first.OpenOrCreate(Branin with { Space = earlier });
        using var store = Unopened();

        store.OpenOrCreate(Branin with { IsEarlierSpace = stored => stored.Count == 1 && stored[0] == TestFunctions.BraninSpace.Parameters[0] });

        Assert.Equal(earlier, store.Definition.Space);
    }

    [Fact]
    public void Given_a_study_whose_space_is_not_an_earlier_form_of_the_one_asked_When_reopened_Then_it_refuses()
    {
        using (var first = Unopened()) first.OpenOrCreate(Branin with { Space = TestFunctions.BraninSpace.Parameters.Skip(1).ToArray() });
        using var store = Unopened();

        var e = Assert.Throws<StudyMismatchException>(() => store.OpenOrCreate(Branin with { IsEarlierSpace = stored => stored.Count == 1 && stored[0] == TestFunctions.BraninSpace.Parameters[0] }));

        Assert.Contains("its space is [x2", e.Message);
    }

    [Fact]
    public void Given_a_study_made_on_one_dataset_When_reopened_with_another_Then_it_refuses_and_names_both()
    {
        using (var first = Unopened()) first.OpenOrCreate(Branin with { Dataset = "mnist" });
        using var store = Unopened();

        var e = Assert.Throws<StudyMismatchException>(() => store.OpenOrCreate(Branin with { Dataset = "fashion-mnist" }));

        Assert.Contains("'mnist'", e.Message);
        Assert.Contains("'fashion-mnist'", e.Message);
    }

    [Fact]
    public void Given_a_study_whose_trials_train_one_way_When_reopened_with_trials_trained_another_Then_it_refuses_and_names_both()
    {
        using (var first = Unopened()) first.OpenOrCreate(Branin with { Trials = "{\"epochs\":3}" });
        using var store = Unopened();

        var e = Assert.Throws<StudyMismatchException>(() => store.OpenOrCreate(Branin with { Trials = "{\"epochs\":10}" }));

        Assert.Contains("{\"epochs\":3}", e.Message);
        Assert.Contains("{\"epochs\":10}", e.Message);
    }

    [Fact]
    public void Given_a_study_whose_stored_trial_settings_read_today_as_those_asked_When_reopened_Then_it_opens()
    {
        using (var first = Unopened()) first.OpenOrCreate(Branin with { Trials = "{\"epochs\":3}" });
        using var store = Unopened();

        store.OpenOrCreate(Branin with { Trials = "{\"epochs\":3,\"monitor\":\"val_loss\"}", TrialsAsToday = t => t.Replace("}", ",\"monitor\":\"val_loss\"}", StringComparison.Ordinal) });

        Assert.Equal("{\"epochs\":3}", store.Definition.Trials);
    }

    [Fact]
    public void Given_a_study_whose_stored_trial_settings_read_today_differ_from_those_asked_When_reopened_Then_the_error_shows_them_as_read_today()
    {
        using (var first = Unopened()) first.OpenOrCreate(Branin with { Trials = "{\"epochs\":3}" });
        using var store = Unopened();

        var e = Assert.Throws<StudyMismatchException>(() => store.OpenOrCreate(Branin with
        {
            Trials = "{\"epochs\":3,\"monitor\":\"val_accuracy\"}",
            TrialsAsToday = t => t.Replace("}", ",\"monitor\":\"val_loss\"}", StringComparison.Ordinal),
        }));

        Assert.Contains("{\"epochs\":3,\"monitor\":\"val_loss\"}", e.Message);
        Assert.Contains("{\"epochs\":3,\"monitor\":\"val_accuracy\"}", e.Message);
    }

    [Fact]
    public void Given_a_study_stored_before_trial_settings_were_recorded_When_reopened_with_some_Then_it_opens()
    {
        using (var first = Unopened()) first.OpenOrCreate(Branin);
        using var store = Unopened();

        store.OpenOrCreate(Branin with { Trials = "{\"epochs\":10}" });

        Assert.Null(store.Definition.Trials);
    }

    [Fact]
    public void Given_a_finished_study_When_reported_Then_trials_are_sorted_best_first()
    {
        using var store = Open();
        TunerFor(store, 6, new FunctionObjective(TestFunctions.Branin), "w").Run();

        var report = StudyReport.From(store);

        Assert.Equal(report.Trials.Select(t => t.Score).Order(), report.Trials.Select(t => t.Score));
        Assert.Equal(report.Trials[0], report.Best);
        Assert.Contains("Best trial", report.ToText(TestFunctions.BraninSpace));
    }

    [Fact]
    public void Given_a_spent_budget_When_another_worker_claims_Then_there_is_nothing_to_claim()
    {
        using var store = Open();
        var only = store.Claim(Request("w1", maxTrials: 1))!;
        Assert.True(store.Finish(only.Id, "w1", TrialResult.Completed(1.0, 1, 1, 0.1)));

        var next = store.Claim(Request("w2", maxTrials: 1));

        Assert.Null(next);
    }

    [Fact]
    public void Given_rung_values_of_two_running_trials_When_a_rung_is_read_Then_both_trials_values_are_returned_in_trial_order()
    {
        using var first = Open();
        using var second = Open();
        var a = first.Claim(Request("w1"))!;
        var b = second.Claim(Request("w2"))!;
        Assert.True(first.ReportIntermediate(a.Id, "w1", a.Attempts, new RungValue(0, 0.25, 0.3)));
        Assert.True(second.ReportIntermediate(b.Id, "w2", b.Attempts, new RungValue(0, 0.25, 0.7)));
        Assert.True(first.ReportIntermediate(a.Id, "w1", a.Attempts, new RungValue(1, 0.5, 0.4)));

        var rung0 = first.RungValues(0);
        var rung1 = second.RungValues(1);

        Assert.Equal([0.3, 0.7], rung0);
        Assert.Equal([0.4], rung1);
    }

    [Fact]
    public void Given_rung_values_When_the_trials_are_read_Then_each_trial_carries_its_own_rungs_in_rung_order()
    {
        using var store = Open();
        var a = store.Claim(Request("w1"))!;
        var b = store.Claim(Request("w2"))!;
        store.ReportIntermediate(a.Id, "w1", a.Attempts, new RungValue(1, 0.5, 0.4));
        store.ReportIntermediate(a.Id, "w1", a.Attempts, new RungValue(0, 0.25, 0.3));

        var trials = store.Trials();

        Assert.Equal([new RungValue(0, 0.25, 0.3), new RungValue(1, 0.5, 0.4)], trials[a.Id].Rungs);
        Assert.Empty(trials[b.Id].Rungs);
    }

    [Fact]
    public void Given_a_trial_re_queued_after_a_stale_heartbeat_When_a_rung_is_read_Then_its_old_attempts_value_is_excluded()
    {
        using var store = Open();
        var first = store.Claim(Request("w1"))!;
        store.ReportIntermediate(first.Id, "w1", first.Attempts, new RungValue(0, 0.25, 0.3));
        var second = TakeOver(store, first, "w2");

        Assert.Empty(store.RungValues(0));
        Assert.Empty(store.Trials()[first.Id].Rungs);
        Assert.True(store.ReportIntermediate(second.Id, "w2", second.Attempts, new RungValue(0, 0.25, 0.9)));
        Assert.Equal([0.9], store.RungValues(0));
    }

    [Fact]
    public void Given_a_trial_taken_over_by_another_worker_When_its_old_worker_reports_a_rung_value_Then_it_is_refused_and_not_recorded()
    {
        using var store = Open();
        var first = store.Claim(Request("w1"))!;
        var second = TakeOver(store, first, "w2");

        var oldAttempt = store.ReportIntermediate(first.Id, "w1", first.Attempts, new RungValue(0, 0.25, 0.3));
        var oldWorker = store.ReportIntermediate(first.Id, "w1", second.Attempts, new RungValue(0, 0.25, 0.3));
        var wrongAttempt = store.ReportIntermediate(first.Id, "w2", first.Attempts, new RungValue(0, 0.25, 0.3));

        Assert.False(oldAttempt);
        Assert.False(oldWorker);
        Assert.False(wrongAttempt);
        Assert.Empty(store.RungValues(0));
    }

    [Fact]
    public void Given_a_failed_and_a_pruned_trial_with_rung_values_When_the_rung_is_read_Then_only_the_failed_trials_value_is_excluded()
    {
        using var store = Open();
        var failed = store.Claim(Request("w1"))!;
        var pruned = store.Claim(Request("w2"))!;
        store.ReportIntermediate(failed.Id, "w1", failed.Attempts, new RungValue(0, 0.25, 0.3));
        store.ReportIntermediate(pruned.Id, "w2", pruned.Attempts, new RungValue(0, 0.25, 0.7));
        store.Finish(failed.Id, "w1", TrialResult.Failed("diverged", 0.3, 1));
        store.Finish(pruned.Id, "w2", TrialResult.Pruned(0.7, null, 0, 0.25, 1));

        var values = store.RungValues(0);

        Assert.Equal([0.7], values);
    }

    [Fact]
    public void Given_a_trial_taken_over_by_another_worker_When_the_first_worker_finishes_it_Then_it_is_refused_and_the_trial_keeps_the_second_workers_result()
    {
        using var store = Open();
        var first = store.Claim(Request("w1"))!;
        var second = TakeOver(store, first, "w2");

        var late = store.Finish(first.Id, "w1", TrialResult.Completed(1.0, 1, 1, 0.5));
        var stillRunning = store.Trials()[first.Id];
        var own = store.Finish(second.Id, "w2", TrialResult.Completed(2.0, 3, 3, 0.7));

        Assert.False(late);
        Assert.Equal((TrialStatus.Running, "w2", (double?)null), (stillRunning.Status, stillRunning.Worker, stillRunning.Score));
        Assert.True(own);
        var done = store.Trials()[first.Id];
        Assert.Equal((TrialStatus.Completed, "w2", (double?)2.0, (int?)3, 2), (done.Status, done.Worker, done.Score, done.BestEpoch, done.Attempts));
    }

    [Fact]
    public void Given_a_trial_taken_over_by_another_worker_When_the_first_worker_beats_its_heartbeat_Then_it_is_refused()
    {
        using var store = Open();
        var first = store.Claim(Request("w1"))!;
        TakeOver(store, first, "w2");

        var old = store.Heartbeat(first.Id, "w1");
        var current = store.Heartbeat(first.Id, "w2");

        Assert.False(old);
        Assert.True(current);
    }

    [Fact]
    public void Given_a_released_trial_When_its_worker_beats_its_heartbeat_Then_it_is_refused_and_the_trial_stays_queued()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1"))!;
        store.Release(trial.Id, "w1");

        var beat = store.Heartbeat(trial.Id, "w1");

        Assert.False(beat);
        Assert.Equal((TrialStatus.Queued, (string?)null), (store.Trials()[trial.Id].Status, store.Trials()[trial.Id].Worker));
    }

    [Fact]
    public void Given_a_finished_trial_When_a_late_Finish_arrives_Then_it_is_refused_and_the_trial_is_unchanged()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1"))!;
        Assert.True(store.Finish(trial.Id, "w1", TrialResult.Completed(1.5, 2, 2, 0.5)));
        var before = store.Trials()[trial.Id];

        var late = store.Finish(trial.Id, "w1", TrialResult.Failed("late", 3, 9));

        Assert.False(late);
        var after = store.Trials()[trial.Id];
        Assert.Equal((TrialStatus.Completed, (double?)1.5, (int?)2, (string?)null, before.Finished, (double?)0.5),
            (after.Status, after.Score, after.BestEpoch, after.Message, after.Finished, after.Seconds));
    }

    [Fact]
    public void Given_a_finished_trial_When_its_worker_releases_it_Then_it_stays_finished_and_is_not_claimed_again()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1", maxTrials: 1))!;
        store.Finish(trial.Id, "w1", TrialResult.Pruned(0.8, 1, 0, 0.25, 0.5));

        store.Release(trial.Id, "w1");

        var after = store.Trials()[trial.Id];
        Assert.Equal((TrialStatus.Pruned, (double?)0.8, (int?)0, "w1"), (after.Status, after.Score, after.Rung, after.Worker));
        Assert.Null(store.Claim(Request("w2", maxTrials: 1)));
    }

    [Fact]
    public void Given_a_running_trial_whose_owner_is_dead_When_another_worker_claims_Then_it_is_re_queued_at_once_and_claimed()
    {
        using var store = Open();
        var orphan = store.Claim(Request("dead", maxTrials: 1, staleAfter: TimeSpan.FromHours(1)))!;

        var taken = store.Claim(Request("w2", maxTrials: 1, staleAfter: TimeSpan.FromHours(1)) with { OwnerIsDead = w => w == "dead" });

        Assert.NotNull(taken);
        Assert.Equal((orphan.Id, 2, "w2"), (taken.Id, taken.Attempts, taken.Worker));
        Assert.False(store.Heartbeat(orphan.Id, "dead"));
    }

    [Fact]
    public void Given_a_running_trial_whose_owner_is_alive_When_another_worker_claims_Then_it_is_left_to_its_owner()
    {
        using var store = Open();
        store.Claim(Request("alive", maxTrials: 1, staleAfter: TimeSpan.FromHours(1)));

        var taken = store.Claim(Request("w2", maxTrials: 1, staleAfter: TimeSpan.FromHours(1)) with { OwnerIsDead = w => w == "dead" });

        Assert.Null(taken);
        Assert.Equal("alive", store.Trials()[0].Worker);
    }

    [Fact]
    public void Given_a_running_trial_with_recorded_epochs_When_the_trials_are_read_Then_its_epochs_are_the_count_of_its_epoch_rows()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1"))!;
        var idle = store.Claim(Request("w2"))!;
        store.ReportEpoch(trial.Id, "w1", trial.Attempts, Epoch(1));
        store.ReportEpoch(trial.Id, "w1", trial.Attempts, Epoch(2));

        var trials = store.Trials();

        Assert.Equal(2.0, trials[trial.Id].Epochs);
        Assert.Equal(0.0, trials[idle.Id].Epochs);
    }

    [Fact]
    public void Given_a_trial_re_queued_after_some_epochs_When_it_is_read_Then_only_its_current_attempts_epochs_count()
    {
        using var store = Open();
        var first = store.Claim(Request("w1"))!;
        store.ReportEpoch(first.Id, "w1", first.Attempts, Epoch(1));
        store.ReportEpoch(first.Id, "w1", first.Attempts, Epoch(2));
        var second = TakeOver(store, first, "w2");
        store.ReportEpoch(second.Id, "w2", second.Attempts, Epoch(1, loss: 0.25));

        var trial = store.Trials()[first.Id];
        var epochs = store.Epochs(first.Id);

        Assert.Equal(1.0, trial.Epochs);
        Assert.Equal([0.25], epochs.Select(e => e.Loss));
    }

    [Fact]
    public void Given_trials_with_and_without_epochs_When_every_trials_epochs_are_read_at_once_Then_each_is_what_epochs_of_it_reads()
    {
        using var store = Open();
        var first = store.Claim(Request("w1"))!;
        var idle = store.Claim(Request("w2"))!;
        var third = store.Claim(Request("w3"))!;
        store.ReportEpoch(first.Id, "w1", first.Attempts, Epoch(1));
        store.ReportEpoch(first.Id, "w1", first.Attempts, Epoch(2));
        store.ReportEpoch(third.Id, "w3", third.Attempts, Epoch(1, loss: 0.5));
        var again = TakeOver(store, first, "w4");
        store.ReportEpoch(again.Id, "w4", again.Attempts, Epoch(1, loss: 0.25));

        var all = store.EpochsOfEveryTrial();

        Assert.Equal([first.Id, third.Id], all.Keys.Order());
        Assert.False(all.ContainsKey(idle.Id));
        Assert.Equal(store.Epochs(first.Id), all[first.Id]);
        Assert.Equal([0.25], all[first.Id].Select(e => e.Loss));
        Assert.Equal(store.Epochs(third.Id), all[third.Id]);
    }

    [Fact]
    public void Given_a_finished_trial_When_the_trials_are_read_Then_its_epochs_are_what_its_worker_reported()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1"))!;
        store.ReportEpoch(trial.Id, "w1", trial.Attempts, Epoch(1));
        store.ReportEpoch(trial.Id, "w1", trial.Attempts, Epoch(2));

        store.Finish(trial.Id, "w1", TrialResult.Pruned(0.4, 1, 1, 1.5, 3));

        Assert.Equal(1.5, store.Trials()[trial.Id].Epochs);
    }

    [Fact]
    public void Given_an_epoch_with_a_nan_loss_When_read_back_Then_its_loss_is_nan_and_its_other_metrics_are_kept()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1"))!;

        store.ReportEpoch(trial.Id, "w1", trial.Attempts, Epoch(1, loss: double.NaN) with { ValLoss = double.PositiveInfinity });

        var epoch = Assert.Single(store.Epochs(trial.Id));
        Assert.True(double.IsNaN(epoch.Loss));
        Assert.True(double.IsNaN(epoch.ValLoss)); // infinities are stored as NULL too
        Assert.Equal((1, 0.9, 0.88, 1e-3, 2.5), (epoch.Epoch, epoch.Accuracy, epoch.ValAccuracy, epoch.LearningRate, epoch.Seconds));
    }

    [Fact]
    public void Given_a_claimed_trial_When_read_Then_it_is_running_with_its_worker_heartbeat_and_start()
    {
        using var store = Open();

        var trial = store.Claim(Request("w1"))!;

        Assert.Equal((0, TrialStatus.Running, "w1", 1), (trial.Id, trial.Status, trial.Worker, trial.Attempts));
        Assert.Equal(0.1, trial.Unit[0], 12);
        Assert.NotNull(trial.Heartbeat);
        Assert.Equal(trial.Heartbeat, trial.Started);
        Assert.InRange(trial.Started!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    private static ClaimRequest Scheduled(string worker, ScheduleDecision decision) => Request(worker) with { Schedule = _ => decision };

    private static TrialRecord StartPaused(IStudyStore store)
    {
        var trial = store.Claim(Scheduled("w1", new ScheduleDecision.Start(Point(0.3), new TrialPlan(0, 1, 0, 0, 1))))!;
        Assert.True(store.SaveTrialState(trial.Id, "w1", trial.Attempts, [1, 2, 3]));
        Assert.True(store.Finish(trial.Id, "w1", TrialResult.Paused(0.5, 1, 1, 2)));
        return trial;
    }

    [Fact]
    public void Given_a_saved_trial_state_When_another_store_loads_it_Then_it_is_the_last_bytes_saved()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1"))!;
        var other = store.Claim(Request("w2"))!;
        store.SaveTrialState(trial.Id, "w1", trial.Attempts, [1, 2, 3]);
        store.SaveTrialState(trial.Id, "w1", trial.Attempts, [4, 5, 6, 7]);

        using var reader = Open();

        Assert.Equal([4, 5, 6, 7], reader.LoadTrialState(trial.Id));
        Assert.Null(reader.LoadTrialState(other.Id));
    }

    [Fact]
    public void Given_a_worker_whose_trial_was_taken_When_it_saves_the_trial_state_Then_the_store_refuses_and_keeps_the_new_owners()
    {
        using var store = Open();
        var trial = store.Claim(Request("w1"))!;
        store.Release(trial.Id, "w1");
        var taken = store.Claim(Request("w2"))!;
        Assert.True(store.SaveTrialState(taken.Id, "w2", taken.Attempts, [9]));

        Assert.False(store.SaveTrialState(trial.Id, "w1", trial.Attempts, [1, 2, 3]));

        Assert.Equal([9], store.LoadTrialState(trial.Id));
    }

    /// <summary>Claims a trial, saves <paramref name="state"/> for it and ends it with <paramref name="result"/>.</summary>
    private static TrialRecord EndWithState(IStudyStore store, string worker, byte[] state, TrialResult result)
    {
        var trial = store.Claim(Request(worker))!;
        Assert.True(store.SaveTrialState(trial.Id, worker, trial.Attempts, state));
        Assert.True(store.Finish(trial.Id, worker, result));
        return trial;
    }

    [Fact]
    public void Given_a_completed_trial_with_saved_state_When_a_better_trial_completes_Then_only_the_better_ones_state_is_kept()
    {
        using var store = Open(); // Branin: a lower score is better
        var first = EndWithState(store, "w1", [1], TrialResult.Completed(0.5, 1, 1, 2));
        Assert.Equal([1], store.LoadTrialState(first.Id));

        var better = EndWithState(store, "w2", [2], TrialResult.Completed(0.3, 1, 1, 2));

        Assert.Null(store.LoadTrialState(first.Id));
        Assert.Equal([2], store.LoadTrialState(better.Id));
    }

    [Fact]
    public void Given_the_best_completed_trial_When_a_worse_trial_completes_Then_the_worse_ones_state_is_dropped_and_the_best_kept()
    {
        using var store = Open();
        var best = EndWithState(store, "w1", [1], TrialResult.Completed(0.3, 1, 1, 2));

        var worse = EndWithState(store, "w2", [2], TrialResult.Completed(0.5, 1, 1, 2));

        Assert.Null(store.LoadTrialState(worse.Id));
        Assert.Equal([1], store.LoadTrialState(best.Id));
    }

    [Fact]
    public void Given_a_trial_with_saved_state_When_it_is_pruned_or_fails_Then_its_state_is_dropped()
    {
        using var store = Open();

        var pruned = EndWithState(store, "w1", [1], TrialResult.Pruned(0.1, 1, 0, 0.5, 1));
        var failed = EndWithState(store, "w2", [2], TrialResult.Failed("boom", 1, 1));

        Assert.Null(store.LoadTrialState(pruned.Id));
        Assert.Null(store.LoadTrialState(failed.Id));
    }

    [Fact]
    public void Given_a_schedule_that_starts_a_trial_When_claimed_Then_the_new_trial_carries_its_plan()
    {
        using var store = Open();

        var trial = store.Claim(Scheduled("w1", new ScheduleDecision.Start(Point(0.3), new TrialPlan(0, 2, 0, 0, 1))))!;

        Assert.Equal((0, TrialStatus.Running, 1, new TrialPlan(0, 2, 0, 0, 1)), (trial.Id, trial.Status, trial.Attempts, trial.Plan));
        Assert.Equal(new TrialPlan(0, 2, 0, 0, 1), store.Trials()[0].Plan);
    }

    [Fact]
    public void Given_a_paused_trial_When_the_schedule_continues_it_Then_it_runs_again_in_the_same_attempt_with_its_new_plan_and_its_state()
    {
        using var store = Open();
        var paused = StartPaused(store);

        var next = store.Claim(Scheduled("w2", new ScheduleDecision.Continue(paused.Id, new TrialPlan(0, 1, 1, 1, 3))))!;

        Assert.Equal((paused.Id, TrialStatus.Running, "w2", 1, 1), (next.Id, next.Status, next.Worker, next.Attempts, next.Plan!.Round));
        Assert.Equal(paused.Started, next.Started);
        Assert.Equal([1, 2, 3], store.LoadTrialState(paused.Id));
    }

    [Fact]
    public void Given_a_paused_trial_When_the_schedule_retires_it_Then_it_is_pruned_at_its_round_and_its_state_is_dropped()
    {
        using var store = Open();
        var paused = StartPaused(store);

        var next = store.Claim(Scheduled("w2", new ScheduleDecision.Stop { Retire = [paused.Id] }));

        Assert.Null(next);
        var retired = store.Trials()[paused.Id];
        Assert.Equal((TrialStatus.Pruned, (int?)0, (double?)0.5), (retired.Status, retired.Rung, retired.Score));
        Assert.NotNull(retired.Finished);
        Assert.Null(store.LoadTrialState(paused.Id));
    }
}
