using Mnist.Core.Infrastructure;
using Mnist.Core.Training;

namespace Mnist.Core.Tuning;

/// <summary>Whether a search wants its objective's values high or low.</summary>
public enum Direction
{
    Min,
    Max,
}

/// <summary>
/// What a search optimises, and which way (KerasTuner's <c>Objective(name, direction)</c>): the one
/// place that knows which of two scores is better, which trial is the best and what an epoch's score
/// is. The generic search reads only <see cref="LossOf"/> (lower is better).
/// </summary>
public sealed record Objective(string Name, Direction Direction)
{
    public static Objective ValAccuracy { get; } = new(Choice.Name(TuningObjective.ValAccuracy), Direction.Max);
    public static Objective ValLoss { get; } = new(Choice.Name(TuningObjective.ValLoss), Direction.Min);

    /// <summary>The objective a study stores as <paramref name="kind"/>.</summary>
    public static Objective Of(TuningObjective kind) => kind == TuningObjective.ValAccuracy ? ValAccuracy : ValLoss;

    /// <summary>"maximised" or "minimised", for people.</summary>
    public string DirectionWord => Direction == Direction.Max ? "maximised" : "minimised";

    /// <summary>The score as a loss (lower is better): what oracles, pruners and schedules compare.</summary>
    public double LossOf(double score) => Direction == Direction.Max ? -score : score;

    public bool Better(double a, double b) => LossOf(a) < LossOf(b);

    /// <summary>The worst of some scores.</summary>
    public double Worst(IEnumerable<double> scores) => scores.MaxBy(LossOf);

    /// <summary>The better of two scores (the first on a tie).</summary>
    public double BetterOf(double a, double b) => Better(b, a) ? b : a;

    /// <summary>An epoch's score: its validation accuracy or loss.</summary>
    public double ScoreOf(EpochRecord epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        return ScoreOf(epoch.ValLoss, epoch.ValAccuracy);
    }

    public double ScoreOf(double valLoss, double valAccuracy) => Direction == Direction.Max ? valAccuracy : valLoss;

    /// <summary>The best epoch of a history (the earliest on a tie), or null for none.</summary>
    public EpochRecord? BestEpoch(IEnumerable<EpochRecord> history) =>
        history.Aggregate((EpochRecord?)null, (best, e) => best is null || Better(ScoreOf(e), ScoreOf(best)) ? e : best);

    /// <summary>The completed trials with a score, best first (ties: the earlier trial first).</summary>
    public IReadOnlyList<TrialRecord> Ranked(IEnumerable<TrialRecord> trials) =>
        trials.Where(t => t.Status == TrialStatus.Completed && t.Score is not null).OrderBy(t => LossOf(t.Score!.Value)).ThenBy(t => t.Id).ToList();

    /// <summary>The best completed trial, or null when none completed.</summary>
    public TrialRecord? Best(IEnumerable<TrialRecord> trials) => Ranked(trials).FirstOrDefault();
}
