using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Core.Tests.Tuning;

public sealed class StudyStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DbPath => _dir.File("study.db");

    private static StudyDefinition Branin => new("branin", TestFunctions.BraninSpace.Parameters, TuningObjective.ValLoss);

    private SqliteStudyStore Open()
    {
        var store = new SqliteStudyStore(DbPath);
        store.OpenOrCreate(Branin);
        return store;
    }

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
        using var store = new SqliteStudyStore(DbPath);

        var e = Assert.Throws<StudyMismatchException>(() => store.OpenOrCreate(new StudyDefinition("branin", TestFunctions.HartmannSpace.Parameters, TuningObjective.ValLoss)));

        Assert.Contains("branin", e.Message);
        Assert.Contains("x1: float -5..10", e.Message);
        Assert.Contains("x6: float 0..1", e.Message);
    }

    [Fact]
    public void Given_a_study_made_on_one_dataset_When_reopened_with_another_Then_it_refuses_and_names_both()
    {
        using (var first = new SqliteStudyStore(DbPath)) first.OpenOrCreate(Branin with { Dataset = "mnist" });
        using var store = new SqliteStudyStore(DbPath);

        var e = Assert.Throws<StudyMismatchException>(() => store.OpenOrCreate(Branin with { Dataset = "fashion-mnist" }));

        Assert.Contains("'mnist'", e.Message);
        Assert.Contains("'fashion-mnist'", e.Message);
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
}
