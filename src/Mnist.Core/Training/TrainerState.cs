namespace Mnist.Core.Training;

/// <summary>The training loop's own state (epochs done, early stopping: the best value of the monitored metric and its epoch, ReduceLROnPlateau, the rate), stored in the checkpoint for a resume.</summary>
public sealed record TrainerState(int EpochsDone, double BestValue, int BestEpoch, int Wait, int LrWait, bool Stopped, double LearningRate)
{
    /// <summary>Before the first epoch; <paramref name="unsetBest"/> is the monitor's worst value (<see cref="EarlyStopping.Unset"/>; +infinity for a loss).</summary>
    public static TrainerState Initial(double learningRate, double unsetBest = double.PositiveInfinity) => new(0, unsetBest, 0, 0, 0, false, learningRate);

    /// <summary>The record of <see cref="BestEpoch"/> in <paramref name="history"/>, or null before any improvement.</summary>
    public EpochRecord? BestIn(IEnumerable<EpochRecord> history) => history.FirstOrDefault(h => h.Epoch == BestEpoch);
}
