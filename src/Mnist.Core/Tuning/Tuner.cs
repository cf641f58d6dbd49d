using System.Diagnostics;
using Mnist.Core.Training;

namespace Mnist.Core.Tuning;

/// <summary>
/// What a trial's objective gets: its hyperparameters, a way to report each epoch (which also
/// beats the heartbeat), the pruner's rungs (epochs' worth of images; empty without a pruner)
/// and, at each rung, <see cref="ShouldPrune"/> (rung, epochs trained, score there), which records
/// the value and says whether the trial stops.
/// </summary>
public sealed record TrialContext(TrialRecord Trial, Action<EpochRecord> ReportEpoch, CancellationToken Cancellation)
{
    public IReadOnlyList<double> Rungs { get; init; } = [];

    public Func<int, double, double, bool> ShouldPrune { get; init; } = (_, _, _) => false;

    /// <summary>A Hyperband trial's state saved at the end of its last round (weights, optimiser, history), or null.</summary>
    public Func<byte[]?> LoadState { get; init; } = () => null;

    /// <summary>Saves the trial's state for its next round (Hyperband).</summary>
    public Action<byte[]> SaveState { get; init; } = _ => { };
}

/// <summary>What a trial yields: its score, the epoch it was reached at, the epochs trained, and the rung where it was pruned (null when it ran to its end).</summary>
public sealed record TrialOutcome(double Score, int BestEpoch, double Epochs, int? PrunedAtRung = null);

/// <summary>Runs one trial (trains a model, or evaluates a test function).</summary>
public interface ITrialObjective
{
    TrialOutcome Run(TrialContext context);
}

/// <summary>What the tuner tells the outside world.</summary>
public interface ITunerObserver
{
    void OnTrialStart(TrialRecord trial) { }
    void OnTrialEnd(TrialRecord trial, TrialOutcome? outcome, string? error, TimeSpan elapsed) { }

    /// <summary>The trial was taken from this worker (its heartbeat went stale and another worker runs it): not counted here.</summary>
    void OnTrialLost(TrialRecord trial, TimeSpan elapsed) { }

    /// <summary>Nothing to claim while other workers' trials run: this worker waits for them (and takes over any that go stale).</summary>
    void OnWaiting(int running) { }

    /// <summary>Something went wrong that the tuner survives (a heartbeat or a store call that failed and is retried).</summary>
    void OnWarning(string message) { }
}

/// <summary>Three trials in a row failed: the search stops rather than burn its budget.</summary>
public sealed class TuningFailedException(string message) : Exception(message);

public sealed record TunerOptions
{
    public int MaxTrials { get; init; } = 30;
    public int Seed { get; init; } = 42;
    public string Worker { get; init; } = WorkerIdentity.NewForThisProcess();
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A running trial whose heartbeat is older than this is taken to be dead and re-queued.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a worker with nothing to claim looks again while other workers' trials run.</summary>
    public TimeSpan WaitInterval { get; init; } = TimeSpan.FromSeconds(2);
    public int MaxConsecutiveFailures { get; init; } = 3;

    /// <summary>Decides at each rung whether a trial goes on; none by default.</summary>
    public IPruner Pruner { get; init; } = new NoPruner();

    /// <summary>The per-trial epoch cap, which places the pruner's rungs.</summary>
    public double MaxEpochs { get; init; } = 1;

    /// <summary>A schedule (Hyperband) that decides new trials, promotions and the budget in place of the oracle; null for none.</summary>
    public ITrialScheduler? Scheduler { get; init; }
}

/// <summary>
/// The search loop of one worker: claim a trial (the oracle proposes inside the claim), run it
/// with a heartbeat and the pruner's rungs, record how it ended. The oracle suggests, the pruner
/// decides, the tuner runs, the store records. Several workers (threads, processes, machines) may
/// run this loop on one study at once; a worker with nothing left to claim waits while others'
/// trials run, so that a trial whose worker dies is run again by the workers left.
/// </summary>
public sealed class Tuner(IStudyStore store, IOracle oracle, SearchSpace space, ITrialObjective objective, TunerOptions? options = null, ITunerObserver? observer = null)
{
    private readonly TunerOptions _options = options ?? new TunerOptions();
    private readonly ITunerObserver _observer = observer ?? new NullObserver();

    /// <summary>Runs trials until every trial of the study's budget has ended; returns how many this worker finished.</summary>
    public int Run(CancellationToken ct = default)
    {
        var definition = store.Definition;
        var rungs = _options.Pruner.Rungs(_options.MaxEpochs);
        var fidelity = Observation.FidelityScale(rungs.Count > 0 ? rungs[0] : _options.MaxEpochs, _options.MaxEpochs);
        var failuresInARow = 0;
        var ran = 0;
        var errors = new List<string>();
        var claim = new ClaimRequest(_options.Worker, _options.MaxTrials, _options.StaleAfter, trials => Propose(trials, definition, fidelity))
        {
            Schedule = _options.Scheduler is { } scheduler
                ? trials => scheduler.Next(trials, new Random(unchecked(_options.Seed * 1_000_003 + trials.Count)))
                : null,
        };
        while (!ct.IsCancellationRequested)
        {
            var trial = store.Claim(claim);
            var running = 0;
            if (trial is null)
            {
                running = store.Trials().Count(t => t.Status is TrialStatus.Running or TrialStatus.Queued);
                // Paused trials alone are the schedule's to promote or retire: a claim that returns nothing with none running means the end.
                // (A trial that ended between the claim and this look may have made a promotion possible: claim once more first.)
                if (running == 0 && (trial = store.Claim(claim)) is null) break;
            }
            if (trial is null)
            {
                _observer.OnWaiting(running);
                ct.WaitHandle.WaitOne(_options.WaitInterval);
                continue;
            }
            _observer.OnTrialStart(trial);
            var clock = Stopwatch.StartNew();
            using var lost = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var heartbeat = new Heartbeat(() => Beat(trial.Id, lost), _options.HeartbeatInterval);
            TrialOutcome? outcome = null;
            string? error = null;
            try
            {
                outcome = objective.Run(new TrialContext(trial, e => store.ReportEpoch(trial.Id, _options.Worker, trial.Attempts, e), lost.Token)
                {
                    Rungs = rungs,
                    ShouldPrune = (rung, epochs, score) => ShouldPrune(trial, rung, epochs, score, definition, lost),
                    LoadState = () => store.LoadTrialState(trial.Id),
                    SaveState = state =>
                    {
                        if (!store.SaveTrialState(trial.Id, _options.Worker, trial.Attempts, state)) lost.Cancel();
                    },
                });
                if (!double.IsFinite(outcome.Score)) error = $"score is {outcome.Score} (the training diverged)";
                else if (trial.Plan is { } plan && !store.ReportIntermediate(trial.Id, _options.Worker, trial.Attempts, new RungValue(plan.Round, outcome.Epochs, outcome.Score)))
                {
                    heartbeat.Dispose();
                    _observer.OnTrialLost(trial, clock.Elapsed);
                    continue;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                heartbeat.Dispose();
                store.Release(trial.Id, _options.Worker);
                throw;
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested)
            {
                heartbeat.Dispose();
                _observer.OnTrialLost(trial, clock.Elapsed);
                continue;
            }
#pragma warning disable CA1031 // A trial may fail in any way; the search records it and goes on.
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = $"{e.GetType().Name}: {e.Message}";
            }
            heartbeat.Dispose();
            var seconds = clock.Elapsed.TotalSeconds;
            var result = error is not null ? TrialResult.Failed(error, outcome?.Epochs ?? 0, seconds)
                : outcome!.PrunedAtRung is { } rung ? TrialResult.Pruned(outcome.Score, outcome.BestEpoch, rung, outcome.Epochs, seconds)
                : trial.Plan is { LastRound: false } ? TrialResult.Paused(outcome.Score, outcome.BestEpoch, outcome.Epochs, (trial.Seconds ?? 0) + seconds)
                : TrialResult.Completed(outcome.Score, outcome.BestEpoch, outcome.Epochs, (trial.Plan is null ? 0 : trial.Seconds ?? 0) + seconds);
            if (!store.Finish(trial.Id, _options.Worker, result))
            {
                _observer.OnTrialLost(trial, clock.Elapsed); // taken from this worker meanwhile: its result is not this worker's to record
                continue;
            }
            ran++;
            if (error is null)
            {
                failuresInARow = 0;
            }
            else
            {
                errors.Add($"trial {trial.Id}: {error}");
                if (++failuresInARow >= _options.MaxConsecutiveFailures)
                {
                    throw new TuningFailedException($"{failuresInARow} trials failed in a row; stopping the search:\n  " + string.Join("\n  ", errors.TakeLast(failuresInARow)));
                }
            }
            _observer.OnTrialEnd(trial, error is null ? outcome : null, error, clock.Elapsed);
        }
        ct.ThrowIfCancellationRequested();
        return ran;
    }

    private bool ShouldPrune(TrialRecord trial, int rung, double epochs, double score, StudyDefinition definition, CancellationTokenSource lost)
    {
        if (!double.IsFinite(score)) return true; // diverged: stop now; the trial ends failed with its non-finite score, not recorded at the rung
        if (!store.ReportIntermediate(trial.Id, _options.Worker, trial.Attempts, new RungValue(rung, epochs, score)))
        {
            lost.Cancel();
            lost.Token.ThrowIfCancellationRequested();
        }
        var losses = store.RungValues(rung).Select(definition.Goal.LossOf).ToList();
        return _options.Pruner.ShouldPrune(rung, definition.Goal.LossOf(score), losses);
    }

    private TrialProposal Propose(IReadOnlyList<TrialRecord> trials, StudyDefinition definition, Func<double, double> fidelity)
    {
        var history = trials.Select(t => Observation.Of(t, definition, fidelity)).ToList();
        var rng = new Random(unchecked(_options.Seed * 1_000_003 + trials.Count)); // deterministic per study position
        var unit = oracle.Suggest(history, rng);
        return new TrialProposal(unit, space.FromUnit(unit));
    }

    private void Beat(int trialId, CancellationTokenSource lost)
    {
        try
        {
            if (!store.Heartbeat(trialId, _options.Worker))
            {
                _observer.OnWarning($"trial {trialId} is no longer this worker's (its heartbeat went stale and it was re-queued); stopping it.");
                lost.Cancel();
            }
        }
#pragma warning disable CA1031 // A missed heartbeat is retried at the next tick; the store decides when one is stale. Nothing may escape a timer thread.
        catch (Exception e)
        {
            try
            {
                _observer.OnWarning($"heartbeat of trial {trialId} failed ({e.GetType().Name}: {e.Message}); retrying at the next beat.");
            }
            catch (Exception)
            {
            }
        }
#pragma warning restore CA1031
    }

    private sealed class NullObserver : ITunerObserver;

    /// <summary>A timer whose disposal waits for a beat in progress, so that no beat runs after the trial ended.</summary>
    private sealed class Heartbeat(Action beat, TimeSpan interval) : IDisposable
    {
        private readonly Timer _timer = new(_ => beat(), null, interval, interval);
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            using var done = new ManualResetEvent(false);
            if (_timer.Dispose(done)) done.WaitOne();
        }
    }
}
