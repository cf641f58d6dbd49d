using Mnist.Core.Infrastructure;

namespace Mnist.Core.Tuning;

/// <summary>The search's pruner, by its name (<see cref="Choice"/>): <c>asha</c> or <c>none</c>.</summary>
public enum PrunerKind
{
    /// <summary>Asynchronous successive halving (<see cref="SuccessiveHalvingPruner"/>, Optuna's defaults).</summary>
    Asha,

    /// <summary>No pruning (<see cref="NoPruner"/>).</summary>
    None,
}

/// <summary>
/// Decides whether a running trial goes on (Optuna's pruners). It sees only losses (lower is
/// better: the objective's direction is applied before), rungs and counts; no tensors, no store.
/// </summary>
public interface IPruner
{
    string Name { get; }

    /// <summary>The resources (in epochs' worth of training images) at which a trial of up to <paramref name="maxEpochs"/> epochs reports its value, ascending.</summary>
    IReadOnlyList<double> Rungs(double maxEpochs);

    /// <summary>
    /// At rung <paramref name="rung"/>, whether the trial whose loss there is <paramref name="loss"/>
    /// stops; <paramref name="lossesAtRung"/> are all the values recorded at that rung so far, this
    /// trial's included.
    /// </summary>
    bool ShouldPrune(int rung, double loss, IReadOnlyList<double> lossesAtRung);
}

/// <summary>Never prunes: every trial runs until its epoch cap or early stopping.</summary>
public sealed class NoPruner : IPruner
{
    public string Name => Choice.Name(PrunerKind.None);

    public IReadOnlyList<double> Rungs(double maxEpochs) => [];

    public bool ShouldPrune(int rung, double loss, IReadOnlyList<double> lossesAtRung) => false;
}

/// <summary>
/// Asynchronous successive halving (ASHA; Optuna's <c>SuccessiveHalvingPruner</c>): rung k sits at
/// <c>MinResource × η^(s + k)</c> epochs' worth of images (s the minimum early-stopping rate). At a
/// rung a trial goes on only if its value is among the top 1/η of all the values recorded at that
/// rung so far, its own included, with no waiting for the rung to fill: while fewer than η values
/// are there it must be the best of them (Optuna's rule, since a trial cannot be paused and resumed).
/// </summary>
public sealed class SuccessiveHalvingPruner : IPruner
{
    public SuccessiveHalvingPruner(double minResource = 1.0 / 9, int reductionFactor = 3, int minEarlyStoppingRate = 0)
    {
        if (!(minResource > 0) || !double.IsFinite(minResource)) throw new ArgumentOutOfRangeException(nameof(minResource), minResource, "the first rung's resource must be a positive number of epochs");
        if (reductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(reductionFactor), reductionFactor, "the reduction factor must be at least 2");
        if (minEarlyStoppingRate < 0) throw new ArgumentOutOfRangeException(nameof(minEarlyStoppingRate), minEarlyStoppingRate, "the minimum early-stopping rate must be 0 or more");
        MinResource = minResource;
        ReductionFactor = reductionFactor;
        MinEarlyStoppingRate = minEarlyStoppingRate;
    }

    public string Name => Choice.Name(PrunerKind.Asha);

    public double MinResource { get; }
    public int ReductionFactor { get; }
    public int MinEarlyStoppingRate { get; }

    /// <summary>Rungs strictly below the epoch cap (a value at the cap is the trial's final score, not a decision).</summary>
    public IReadOnlyList<double> Rungs(double maxEpochs)
    {
        var rungs = new List<double>();
        for (var k = 0; ; k++)
        {
            var r = MinResource * Math.Pow(ReductionFactor, MinEarlyStoppingRate + k);
            if (r >= maxEpochs - 1e-9) break;
            rungs.Add(r);
        }
        return rungs;
    }

    public bool ShouldPrune(int rung, double loss, IReadOnlyList<double> lossesAtRung)
    {
        ArgumentNullException.ThrowIfNull(lossesAtRung);
        if (double.IsNaN(loss)) return true;
        var sorted = lossesAtRung.Where(v => !double.IsNaN(v)).Order().ToList();
        if (sorted.Count == 0) return false;
        var promotable = sorted.Count / ReductionFactor - 1;
        if (promotable < 0) promotable = 0;
        return loss > sorted[promotable];
    }
}

/// <summary>The pruners by kind.</summary>
public static class Pruners
{
    /// <summary>The pruner <paramref name="kind"/> stands for, with its defaults.</summary>
    public static IPruner Create(PrunerKind kind) => kind switch
    {
        PrunerKind.Asha => new SuccessiveHalvingPruner(),
        PrunerKind.None => new NoPruner(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, Choice.Expected<PrunerKind>()),
    };
}
