using System.Diagnostics;
using Mnist.Core.Training;

namespace Mnist.Core.Tuning;

/// <summary>What a trial's objective gets: its hyperparameters, and a way to report each epoch (which also beats the heartbeat).</summary>
public sealed record TrialContext(TrialRecord Trial, Action<EpochRecord> ReportEpoch, CancellationToken Cancellation);

/// <summary>What a trial yields: its score and the epoch it was reached at.</summary>
public sealed record TrialOutcome(double Score, int BestEpoch);

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
}

/// <summary>Three trials in a row failed: the search stops rather than burn its budget.</summary>
public sealed class TuningFailedException(string message) : Exception(message);

public sealed record TunerOptions
{
    public int MaxTrials { get; init; } = 30;
    public int Seed { get; init; } = 42;
    public string Worker { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A running trial whose heartbeat is older than this is taken to be dead and re-queued.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(2);
    public int MaxConsecutiveFailures { get; init; } = 3;
}

/// <summary>
/// The search loop of one worker: claim a trial (the oracle proposes inside the claim), run it
/// with a heartbeat, record its score or its failure. The oracle suggests, the tuner runs, the
/// store records. Several workers may run this loop on one study at once.
/// </summary>
public sealed class Tuner(IStudyStore store, IOracle oracle, SearchSpace space, ITrialObjective objective, TunerOptions? options = null, ITunerObserver? observer = null)
{
    private readonly TunerOptions _options = options ?? new TunerOptions();
    private readonly ITunerObserver _observer = observer ?? new NullObserver();

    /// <summary>Runs trials until the study's budget is spent; returns how many this worker ran.</summary>
    public int Run(CancellationToken ct = default)
    {
        var definition = store.Definition;
        var failuresInARow = 0;
        var ran = 0;
        var errors = new List<string>();
        while (!ct.IsCancellationRequested)
        {
            var trial = store.Claim(_options.Worker, _options.MaxTrials, _options.StaleAfter, trials => Propose(trials, definition));
            if (trial is null) break;
            _observer.OnTrialStart(trial);
            var clock = Stopwatch.StartNew();
            using var heartbeat = new Timer(_ => Beat(trial.Id), null, _options.HeartbeatInterval, _options.HeartbeatInterval);
            TrialOutcome? outcome = null;
            string? error = null;
            try
            {
                outcome = objective.Run(new TrialContext(trial, e => store.ReportEpoch(trial.Id, _options.Worker, trial.Attempts, e), ct));
                if (!double.IsFinite(outcome.Score)) error = $"score is {outcome.Score} (the training diverged)";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                heartbeat.Dispose();
                store.Release(trial.Id, _options.Worker);
                throw;
            }
#pragma warning disable CA1031 // A trial may fail in any way; the search records it and goes on.
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = $"{e.GetType().Name}: {e.Message}";
            }
            heartbeat.Dispose();
            ran++;
            if (error is null)
            {
                store.Complete(trial.Id, _options.Worker, outcome!.Score, outcome.BestEpoch, clock.Elapsed.TotalSeconds);
                failuresInARow = 0;
            }
            else
            {
                store.Fail(trial.Id, _options.Worker, error, clock.Elapsed.TotalSeconds);
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

    private TrialProposal Propose(IReadOnlyList<TrialRecord> trials, StudyDefinition definition)
    {
        var history = trials.Select(t => new Observation(
            t.Unit,
            t.Status switch
            {
                TrialStatus.Completed when t.Score is { } s => definition.LossOf(s),
                TrialStatus.Failed => double.NaN, // counted with the worst loss by the oracle
                _ => null,
            })).ToList();
        var rng = new Random(unchecked(_options.Seed * 1_000_003 + trials.Count)); // deterministic per study position
        var unit = oracle.Suggest(history, rng);
        return new TrialProposal(unit, space.FromUnit(unit));
    }

    private void Beat(int trialId)
    {
        try
        {
            store.Heartbeat(trialId, _options.Worker);
        }
#pragma warning disable CA1031 // A missed heartbeat is retried at the next tick; a stale one is the store's business.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private sealed class NullObserver : ITunerObserver;
}
