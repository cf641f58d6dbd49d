using Mnist.Core.Infrastructure;
using Mnist.Core.Training;

namespace Mnist.Core.Tuning;

/// <summary>
/// Where a trial stands. Queued and running trials may still change; completed, pruned and
/// failed ones are final (the store never changes a finished trial again).
/// </summary>
public enum TrialStatus
{
    Queued,
    Running,
    Completed,

    /// <summary>A Hyperband trial between rounds: its round is done, its weights saved; it is promoted (runs on) or retired (pruned).</summary>
    Paused,

    /// <summary>Stopped early by the pruner at a rung; its score is its value there.</summary>
    Pruned,
    Failed,
}

/// <summary>What the search optimises, by its name (<see cref="Choice"/>): the best epoch's validation accuracy (<c>val_accuracy</c>, maximised) or loss (<c>val_loss</c>, minimised).</summary>
public enum TuningObjective
{
    ValAccuracy,
    ValLoss,
}

/// <summary>
/// A study's fixed description, stored with it: a study reopened must match it. <see cref="Trials"/>
/// is how its trials train, as the use case writes it (JSON of its options; null in a study stored
/// before it was recorded, which matches any): the search knows nothing of what it says, only that a
/// study whose trials trained one way must not be continued with trials trained another.
/// </summary>
public sealed record StudyDefinition(string Name, IReadOnlyList<HyperParameter> Space, TuningObjective Objective, string? Dataset = null, string? Trials = null)
{
    /// <summary>The objective with its direction: what is better, which trial is best.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Objective Goal => Tuning.Objective.Of(Objective);

    /// <summary>
    /// How the use case reads a stored <see cref="Trials"/> back into today's form (its options
    /// read and written again, so that a setting added since reads at its default), for comparing
    /// a reopened study with this one; null to compare the text as stored.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Func<string, string>? TrialsAsToday { get; init; }

    /// <summary>
    /// Whether a stored study's space, other than <see cref="Space"/>, is an earlier form of it
    /// that the study goes on in (hyperparameters put into the search since, which its trials
    /// trained at their defaults); null when only this space matches.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Func<IReadOnlyList<HyperParameter>, bool>? IsEarlierSpace { get; init; }

    /// <summary>
    /// The trials whose saved state a store drops when <paramref name="finished"/> has just ended
    /// with <paramref name="status"/>: a pruned or failed trial's own; when it completed, every
    /// completed trial's but the best's (<paramref name="trials"/>, read only then), whose state the
    /// final training continues. A paused trial keeps its state for its next round.
    /// </summary>
    public IReadOnlyList<int> StatesToDrop(int finished, TrialStatus status, Func<IReadOnlyList<TrialRecord>> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        return status switch
        {
            TrialStatus.Paused => [],
            TrialStatus.Completed => Goal.Ranked(trials()).Skip(1).Select(t => t.Id).ToList(),
            _ => [finished],
        };
    }

    /// <summary>The space as stored (JSON), for comparing a reopened study with the one asked for.</summary>
    public string SpaceJson => Json.Serialize(Space, indented: false);

    /// <summary>
    /// Throws when <paramref name="asked"/> is not the study stored here: another name, objective,
    /// dataset, space or way of training its trials. The message names both. A study stored before
    /// datasets (or trial settings) were recorded matches any; one whose space is an earlier form
    /// of the one asked for (<see cref="StudyDefinition.IsEarlierSpace"/>) matches, and goes on in its own.
    /// </summary>
    public void CheckSameAs(StudyDefinition asked, string where)
    {
        ArgumentNullException.ThrowIfNull(asked);
        var problems = new List<string>();
        if (Name != asked.Name) problems.Add($"its name is '{Name}', not '{asked.Name}'");
        if (Objective != asked.Objective) problems.Add($"its objective is {Choice.Name(Objective)}, not {Choice.Name(asked.Objective)}");
        if (Dataset is not null && asked.Dataset is not null && Dataset != asked.Dataset)
        {
            problems.Add($"it was made on the dataset '{Dataset}', not '{asked.Dataset}'");
        }
        if (Trials is not null && asked.Trials is not null && (asked.TrialsAsToday?.Invoke(Trials) ?? Trials) is var stored && stored != asked.Trials)
        {
            problems.Add($"its trials train with {stored}, not {asked.Trials}"); // as read today: a setting added since shows at what the study means by it
        }
        if (SpaceJson != asked.SpaceJson && asked.IsEarlierSpace?.Invoke(Space) != true)
        {
            problems.Add($"its space is [{Describe(Space)}], not [{Describe(asked.Space)}]");
        }
        if (problems.Count > 0)
        {
            throw new StudyMismatchException($"{where}: holds study '{Name}', which differs from the one asked for: {string.Join("; ", problems)}. Use another study name, or the study's own settings.");
        }
    }

    private static string Describe(IReadOnlyList<HyperParameter> space) => string.Join(", ", space.Select(p =>
        $"{p.Name}: {p.Describe()}" + (p.Conditions is { Count: > 0 } c
            ? " if " + string.Join(" and ", c.Select(x => $"{x.Parent} in {{{string.Join(", ", x.Values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}}}"))
            : "")));
}

/// <summary>A study was reopened with another dataset, space, objective or name.</summary>
public sealed class StudyMismatchException(string message) : InvalidOperationException(message);

/// <summary>A trial's value at one rung of the pruner (after <paramref name="Epochs"/> epochs' worth of images).</summary>
public sealed record RungValue(int Rung, double Epochs, double Value);

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
    int Attempts,
    double? Epochs = null,
    int? Rung = null,
    TrialPlan? Plan = null)
{
    /// <summary>The trial's values at the pruner's rungs (its current attempt), in rung order.</summary>
    public IReadOnlyList<RungValue> Rungs { get; init; } = [];

    public bool IsFinished => Status is TrialStatus.Completed or TrialStatus.Pruned or TrialStatus.Failed;
}

/// <summary>How a trial ended, as the worker that ran it reports it.</summary>
public sealed record TrialResult(TrialStatus Status, double? Score, int? BestEpoch, double Epochs, double Seconds, string? Message = null, int? Rung = null)
{
    public static TrialResult Completed(double score, int bestEpoch, double epochs, double seconds) => new(TrialStatus.Completed, score, bestEpoch, epochs, seconds);

    public static TrialResult Pruned(double score, int? bestEpoch, int rung, double epochs, double seconds) => new(TrialStatus.Pruned, score, bestEpoch, epochs, seconds, null, rung);

    public static TrialResult Failed(string message, double epochs, double seconds) => new(TrialStatus.Failed, null, null, epochs, seconds, message);

    /// <summary>A Hyperband round done: the trial waits to be promoted or retired.</summary>
    public static TrialResult Paused(double score, int bestEpoch, double epochs, double seconds) => new(TrialStatus.Paused, score, bestEpoch, epochs, seconds);

    /// <summary>Throws unless this is how a trial's attempt can end (completed, pruned, failed, or paused between Hyperband rounds).</summary>
    public void CheckEnds(int trialId)
    {
        if (Status is not (TrialStatus.Completed or TrialStatus.Pruned or TrialStatus.Failed or TrialStatus.Paused))
        {
            throw new ArgumentException($"trial {trialId}: {Choice.Name(Status)} is not how a trial ends", "result");
        }
    }

    /// <summary>A status as both stores keep it: its name (<see cref="Choice"/>).</summary>
    public static string StatusName(TrialStatus status) => Choice.Name(status);
}

/// <summary>A new trial's point, chosen by the oracle.</summary>
public sealed record TrialProposal(double[] Unit, IReadOnlyDictionary<string, double> Hyperparameters);

/// <summary>What a worker asks for when it claims a trial.</summary>
public sealed record ClaimRequest(string Worker, int MaxTrials, TimeSpan StaleAfter, Func<IReadOnlyList<TrialRecord>, TrialProposal> Propose)
{
    /// <summary>True for a worker known to be dead (on this host, its process gone): its running trials are re-queued at once.</summary>
    public Func<string, bool> OwnerIsDead { get; init; } = WorkerIdentity.IsKnownDead;

    /// <summary>
    /// A schedule (Hyperband) in place of <see cref="Propose"/>: inside the claim it may start a new
    /// trial, continue a paused one, retire paused ones, or say wait or stop. With a schedule the
    /// trial budget is the schedule's (MaxTrials caps new configurations only).
    /// </summary>
    public Func<IReadOnlyList<TrialRecord>, ScheduleDecision>? Schedule { get; init; }
}

/// <summary>
/// Where a study lives: one SQLite file (the default) or a PostgreSQL database that workers on
/// many machines share. Claims are atomic: concurrent workers (threads, processes, machines)
/// each get different trials, and a proposal is made inside the claim's transaction so the
/// oracle sees every trial claimed before it. A finished trial never changes again; a worker
/// whose trial was taken from it (re-queued after its heartbeat went stale) is told so by
/// <see cref="Finish"/>, <see cref="Heartbeat"/> and <see cref="ReportIntermediate"/> returning false.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>Where the study is, for messages (a file path, or a URL without its password).</summary>
    string Location { get; }

    /// <summary>Creates the study, or checks that the stored one has the same name, space, objective and dataset.</summary>
    void OpenOrCreate(StudyDefinition definition);

    StudyDefinition Definition { get; }

    /// <summary>
    /// In one transaction: re-queues running trials whose heartbeat is older than the request's
    /// StaleAfter or whose owner is known to be dead, then claims the oldest queued trial, or,
    /// while fewer than MaxTrials exist, a new one from the request's Propose. Null when no trial
    /// can be claimed now (the budget is spent; some may still be running elsewhere).
    /// </summary>
    TrialRecord? Claim(ClaimRequest request);

    /// <summary>Beats a running trial's heartbeat; false when <paramref name="worker"/> no longer owns it.</summary>
    bool Heartbeat(int trialId, string worker);

    /// <summary>Records one epoch of a trial's current attempt.</summary>
    void ReportEpoch(int trialId, string worker, int attempt, EpochRecord epoch);

    /// <summary>Records a trial's value at a rung (its current attempt); false when <paramref name="worker"/> no longer owns it.</summary>
    bool ReportIntermediate(int trialId, string worker, int attempt, RungValue value);

    /// <summary>The values every trial recorded at <paramref name="rung"/> (each trial's current attempt), finished or running.</summary>
    IReadOnlyList<double> RungValues(int rung);

    /// <summary>Records how the trial ended if <paramref name="worker"/> still owns it; false when it was taken from it meanwhile.</summary>
    bool Finish(int trialId, string worker, TrialResult result);

    /// <summary>Gives a claimed trial back to the queue (the worker was interrupted).</summary>
    void Release(int trialId, string worker);

    /// <summary>
    /// Keeps a trial's saved state (a Hyperband trial's weights and optimiser state between rounds,
    /// or a trial's at its end) where every worker can read it, if <paramref name="worker"/> still
    /// runs that attempt; false when it does not. <see cref="Finish"/> keeps it for a paused trial
    /// and for the best completed trial only (<see cref="StudyDefinition.StatesToDrop"/>).
    /// </summary>
    bool SaveTrialState(int trialId, string worker, int attempt, byte[] state);

    /// <summary>The state saved by <see cref="SaveTrialState"/>, or null.</summary>
    byte[]? LoadTrialState(int trialId);

    IReadOnlyList<TrialRecord> Trials();

    IReadOnlyList<EpochRecord> Epochs(int trialId);

    /// <summary>
    /// <see cref="Epochs"/> of every trial that has any, by trial id, in one read (what a view of
    /// the whole study asks for at each refresh: one round trip instead of one per trial).
    /// </summary>
    IReadOnlyDictionary<int, IReadOnlyList<EpochRecord>> EpochsOfEveryTrial();
}
