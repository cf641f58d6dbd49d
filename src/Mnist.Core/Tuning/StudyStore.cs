using Mnist.Core.Training;

namespace Mnist.Core.Tuning;

public enum TrialStatus
{
    Queued,
    Running,
    Completed,
    Failed,
}

/// <summary>What the search optimises: the best epoch's validation accuracy (maximised) or loss (minimised).</summary>
public enum TuningObjective
{
    ValAccuracy,
    ValLoss,
}

/// <summary>A study's fixed description, stored with it: a study reopened must match it.</summary>
public sealed record StudyDefinition(string Name, IReadOnlyList<HyperParameter> Space, TuningObjective Objective)
{
    /// <summary>The loss the oracle minimises for a score.</summary>
    public double LossOf(double score) => Objective == TuningObjective.ValAccuracy ? -score : score;

    public double ScoreOf(EpochRecord epoch) => Objective == TuningObjective.ValAccuracy ? epoch.ValAccuracy : epoch.ValLoss;

    public bool Better(double a, double b) => LossOf(a) < LossOf(b);
}

/// <summary>One trial as the store holds it.</summary>
public sealed record TrialRecord(
    int Id,
    TrialStatus Status,
    IReadOnlyDictionary<string, double> Hyperparameters,
    double[] Unit,
    double? Score,
    int? BestEpoch,
    string? Message,
    string? Worker,
    DateTimeOffset? Heartbeat,
    DateTimeOffset? Started,
    DateTimeOffset? Finished,
    double? Seconds,
    int Attempts);

/// <summary>A new trial's point, chosen by the oracle.</summary>
public sealed record TrialProposal(double[] Unit, IReadOnlyDictionary<string, double> Hyperparameters);

/// <summary>
/// Where a study lives. Claims are atomic: concurrent workers (threads, processes, or later
/// machines sharing a server database) each get different trials, and a proposal is made
/// inside the claim so the oracle sees every trial claimed before it. SQLite is the embedded default.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>Creates the study, or checks that the stored one has the same name, space and objective.</summary>
    void OpenOrCreate(StudyDefinition definition);

    StudyDefinition Definition { get; }

    /// <summary>
    /// Re-queues running trials whose heartbeat is older than <paramref name="staleAfter"/>, then
    /// claims a queued trial, or, while fewer than <paramref name="maxTrials"/> exist, a new one
    /// from <paramref name="propose"/>. Null when the budget is spent.
    /// </summary>
    TrialRecord? Claim(string worker, int maxTrials, TimeSpan staleAfter, Func<IReadOnlyList<TrialRecord>, TrialProposal> propose);

    void Heartbeat(int trialId, string worker);

    /// <summary>Records one epoch of a trial's current attempt.</summary>
    void ReportEpoch(int trialId, string worker, int attempt, EpochRecord epoch);

    /// <summary>Records the result if <paramref name="worker"/> still owns the trial; false when it was re-queued meanwhile.</summary>
    bool Complete(int trialId, string worker, double score, int bestEpoch, double seconds);

    bool Fail(int trialId, string worker, string message, double seconds);

    /// <summary>Gives a claimed trial back to the queue (the worker was interrupted).</summary>
    void Release(int trialId, string worker);

    IReadOnlyList<TrialRecord> Trials();

    IReadOnlyList<EpochRecord> Epochs(int trialId);
}
