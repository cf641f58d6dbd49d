using System.Text.Json;
using System.Text.Json.Serialization;
using Mnist.Core.Infrastructure;
using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Web.Dashboard;

/// <summary>
/// What the dashboard's API answers, mapped from the store's records: plain values, snake_case
/// (<see cref="Json"/>), every field present (null where unknown) so that a client reads one shape.
/// </summary>
internal static class DashboardViews
{
    /// <summary>The project's JSON convention, with null fields written rather than left out.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(Json.Compact) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static StudySummary Summary(StudyDefinition definition, IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var best = definition.Goal.Best(trials);
        return new StudySummary(definition.Name, definition.Goal.Name, Direction(definition.Goal), trials.Count, Counts(trials), best?.Score, best?.Id);
    }

    public static StudyState State(StudyDefinition definition, IReadOnlyList<TrialRecord> trials, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var space = new SearchSpace(definition.Space);
        var best = definition.Goal.Best(trials);
        return new StudyState(
            definition.Name,
            definition.Goal.Name,
            Direction(definition.Goal),
            definition.Dataset,
            trials.Count,
            Counts(trials),
            trials.Where(t => t.Status == TrialStatus.Running).Select(t => new RunningTrial(t.Id, t.Worker, t.Heartbeat, HeartbeatAge(t.Heartbeat, now), t.Started, t.Epochs)).ToList(),
            best is null ? null : new BestTrial(best.Id, best.Score!.Value, BestEpoch(best.BestEpoch), best.Epochs, best.Seconds, Values(space, best.Hyperparameters)),
            definition.Space.Select(Parameter).ToList(),
            now);
    }

    public static TrialsView Trials(StudyDefinition definition, IReadOnlyList<TrialRecord> trials, Func<int, IReadOnlyList<EpochRecord>> epochs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(epochs);
        var space = new SearchSpace(definition.Space);
        return new TrialsView(definition.Name, definition.Goal.Name, Direction(definition.Goal),
            trials.Select(t => Trial(space, t, epochs(t.Id), now)).ToList(), now);
    }

    public static TrialView Trial(SearchSpace space, TrialRecord t, IReadOnlyList<EpochRecord> epochs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(epochs);
        return new TrialView(
            t.Id,
            StatusName(t.Status),
            Finite(t.Score),
            BestEpoch(t.BestEpoch),
            Finite(t.Epochs),
            Finite(t.Seconds),
            t.Attempts,
            t.Worker,
            t.Heartbeat,
            t.Status == TrialStatus.Running ? HeartbeatAge(t.Heartbeat, now) : null,
            t.Started,
            t.Finished,
            t.Status == TrialStatus.Pruned ? t.Rung : null,
            t.Message,
            Values(space, t.Hyperparameters),
            t.Rungs.Select(r => new IntermediateView(r.Rung, r.Epochs, Finite(r.Value))).ToList(),
            epochs.Select(e => new EpochView(e.Epoch, Finite(e.ValAccuracy), Finite(e.ValLoss), Finite(e.Accuracy), Finite(e.Loss), Finite(e.LearningRate), Finite(e.Seconds))).ToList());
    }

    /// <summary>Seconds since the last heartbeat (never negative: a clock a little ahead reads as just now); null without one.</summary>
    public static double? HeartbeatAge(DateTimeOffset? heartbeat, DateTimeOffset now) =>
        heartbeat is { } beat ? Math.Round(Math.Max(0, (now - beat).TotalSeconds), 1) : null;

    /// <summary>
    /// A configuration as people and charts read it: every hyperparameter of the space, an integer as an integer,
    /// a float as a number, a choice as its value's name; null where inactive (its conditions do not hold) or absent.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> Values(SearchSpace space, IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(values);
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in space.Parameters)
        {
            result[p.Name] = values.TryGetValue(p.Name, out var v) && space.IsActive(p, values) ? Value(p, v) : null;
        }
        return result;
    }

    public static ParameterView Parameter(HyperParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var conditions = parameter.Conditions?.Select(c => new ConditionView(c.Parent, c.Values)).ToList();
        return parameter switch
        {
            IntParameter i => new ParameterView(i.Name, "int", i.Min, i.Max, i.Step, false, null, conditions),
            FloatParameter f => new ParameterView(f.Name, "float", f.Min, f.Max, f.Step, f.Log, null, conditions),
            ChoiceParameter c => new ParameterView(c.Name, "choice", null, null, null, false, c.Values, conditions),
            FixedParameter f => new ParameterView(f.Name, "fixed", null, null, null, false, [f.Shown], conditions), // one value, as its parameter writes it

            _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter.GetType().Name, "not a kind of hyperparameter the dashboard knows"),
        };
    }

    public static StatusCounts Counts(IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        int Count(TrialStatus s) => trials.Count(t => t.Status == s);
        return new StatusCounts(Count(TrialStatus.Completed), Count(TrialStatus.Pruned), Count(TrialStatus.Failed), Count(TrialStatus.Running), Count(TrialStatus.Queued), Count(TrialStatus.Paused));
    }

    public static string StatusName(TrialStatus status) => Choice.Name(status);

    /// <summary><c>max</c> or <c>min</c>: which way the objective is better.</summary>
    public static string Direction(Objective goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        return goal.Direction == Core.Tuning.Direction.Max ? "max" : "min";
    }

    private static object Value(HyperParameter p, double v) => p switch
    {
        IntParameter => (long)Math.Round(v),
        ChoiceParameter c when v >= 0 && v < c.Values.Count => c.Values[(int)v],
        FixedParameter f => f.Shown,
        _ => v,
    };

    /// <summary>The best epoch, or null where the trial ended before a whole epoch (the store keeps 0 there).</summary>
    private static int? BestEpoch(int? epoch) => epoch is > 0 ? epoch : null;

    private static double? Finite(double? v) => v is { } d && double.IsFinite(d) ? d : null;
}

/// <summary>A study in the list: its objective, how many trials stand where, and its best score.</summary>
internal sealed record StudySummary(string Name, string Objective, string Direction, int Trials, StatusCounts Counts, double? BestScore, int? BestTrial);

/// <summary>How many trials stand in each status.</summary>
internal sealed record StatusCounts(int Completed, int Pruned, int Failed, int Running, int Queued, int Paused);

/// <summary>The list of studies and where they are.</summary>
internal sealed record StudyList(string Source, IReadOnlyList<StudySummary> Studies);

/// <summary>A study now: counts, running trials, the best trial and the search space.</summary>
internal sealed record StudyState(
    string Name,
    string Objective,
    string Direction,
    string? Dataset,
    int Trials,
    StatusCounts Counts,
    IReadOnlyList<RunningTrial> Running,
    BestTrial? Best,
    IReadOnlyList<ParameterView> Space,
    DateTimeOffset Now);

/// <summary>A trial being trained: which worker, and how long since it last beat.</summary>
internal sealed record RunningTrial(int Id, string? Worker, DateTimeOffset? Heartbeat, double? HeartbeatAgeSeconds, DateTimeOffset? Started, double? Epochs);

/// <summary>The best completed trial.</summary>
internal sealed record BestTrial(int Id, double Score, int? BestEpoch, double? Epochs, double? Seconds, IReadOnlyDictionary<string, object?> Hyperparameters);

/// <summary>One hyperparameter of the space: int (min, max, step), float (min, max, log, step or null) or choice (choices).</summary>
internal sealed record ParameterView(string Name, string Type, double? Min, double? Max, double? Step, bool Log, IReadOnlyList<string>? Choices, IReadOnlyList<ConditionView>? Conditions);

/// <summary>The parameter is active only when <paramref name="Parent"/> takes one of <paramref name="Values"/> (a choice's by index).</summary>
internal sealed record ConditionView(string Parent, IReadOnlyList<double> Values);

/// <summary>Every trial of a study.</summary>
internal sealed record TrialsView(string Name, string Objective, string Direction, IReadOnlyList<TrialView> Trials, DateTimeOffset Now);

/// <summary>One trial: status, score, timings, worker, hyperparameters, values at the pruner's rungs, and its validation curve.</summary>
internal sealed record TrialView(
    int Id,
    string Status,
    double? Score,
    int? BestEpoch,
    double? Epochs,
    double? Seconds,
    int Attempts,
    string? Worker,
    DateTimeOffset? Heartbeat,
    double? HeartbeatAgeSeconds,
    DateTimeOffset? Started,
    DateTimeOffset? Finished,
    int? Rung,
    string? Message,
    IReadOnlyDictionary<string, object?> Hyperparameters,
    IReadOnlyList<IntermediateView> Intermediate,
    IReadOnlyList<EpochView> Curve);

/// <summary>A trial's objective value at a rung of the pruner, after <paramref name="Epochs"/> epochs' worth of images.</summary>
internal sealed record IntermediateView(int Rung, double Epochs, double? Value);

/// <summary>One epoch of a trial's current attempt.</summary>
internal sealed record EpochView(int Epoch, double? ValAccuracy, double? ValLoss, double? Accuracy, double? Loss, double? LearningRate, double? Seconds);
