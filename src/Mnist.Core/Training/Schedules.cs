using Mnist.Core.Tuning;

namespace Mnist.Core.Training;

/// <summary>
/// Keras's EarlyStopping, as a pure state machine: an epoch improves when its value of
/// <see cref="Monitor"/> (validation loss unless told otherwise; Keras's <c>monitor</c> and
/// <c>mode</c> in one) beats the best by more than <see cref="MinDelta"/> in the monitor's
/// direction; training stops after <see cref="Patience"/> epochs without improvement (0: never),
/// or at once on a non-finite loss.
/// </summary>
public sealed record EarlyStopping(int Patience, double MinDelta = 0)
{
    public Objective Monitor { get; init; } = Objective.ValLoss;

    /// <summary>The best value before any epoch: the worst there is in the monitor's direction.</summary>
    public double Unset => Monitor.Direction == Direction.Max ? double.NegativeInfinity : double.PositiveInfinity;

    public bool Improves(double value, double best) => double.IsFinite(value) && Monitor.LossOf(value) < Monitor.LossOf(best) - MinDelta;

    /// <summary>The epochs waited after this one, and whether training stops (also on a non-finite <paramref name="loss"/>: the run diverged).</summary>
    public (int Wait, bool Stop) Next(int wait, bool improved, double loss)
    {
        var next = improved ? 0 : wait + 1;
        return (next, (Patience > 0 && next >= Patience) || !double.IsFinite(loss));
    }
}

/// <summary>
/// Keras's ReduceLROnPlateau, as a pure state machine: after <see cref="Patience"/> epochs
/// without improvement of the monitored metric (the early stopping's; 0: never) the rate is multiplied by <see cref="Factor"/>, not below
/// <see cref="MinLearningRate"/>, and the wait starts again.
/// </summary>
public sealed record ReduceLrOnPlateau(int Patience, double Factor, double MinLearningRate)
{
    /// <summary>The epochs waited after this one, and the rate for the next.</summary>
    public (int Wait, double LearningRate) Next(int wait, bool improved, double learningRate)
    {
        var next = improved ? 0 : wait + 1;
        return Patience > 0 && next >= Patience && learningRate > MinLearningRate
            ? (0, Math.Max(learningRate * Factor, MinLearningRate))
            : (next, learningRate);
    }
}

/// <summary>
/// One cycle over a whole run, per batch (<see cref="LrSchedule.OneCycle"/>): a cosine warm-up from
/// a tenth of the peak to the peak over the first quarter of the steps, then cosine annealing to a
/// thousandth of it.
/// </summary>
public sealed record OneCycleSchedule(double Peak)
{
    /// <summary>The rate at <paramref name="step"/> (0-based) of <paramref name="total"/>.</summary>
    public double At(long step, long total)
    {
        var warmup = Math.Max(1, (long)(total * 0.25));
        if (step < warmup)
        {
            var t = (double)step / warmup;
            return Peak * (0.1 + 0.9 * (1 - Math.Cos(Math.PI * t)) / 2);
        }
        var u = Math.Min(1.0, (double)(step - warmup) / Math.Max(1, total - warmup));
        return Peak * (0.001 + 0.999 * (1 + Math.Cos(Math.PI * u)) / 2);
    }
}
