namespace Mnist.Core.Training;

/// <summary>The training loop's own state (epochs done, early stopping, ReduceLROnPlateau, the rate), stored in the checkpoint for a resume.</summary>
public sealed record TrainerState(int EpochsDone, double BestValue, int BestEpoch, int Wait, int LrWait, bool Stopped, double LearningRate)
{
    public static TrainerState Initial(double learningRate) => new(0, double.PositiveInfinity, 0, 0, 0, false, learningRate);

    /// <summary>The record of <see cref="BestEpoch"/> in <paramref name="history"/>, or null before any improvement.</summary>
    public EpochRecord? BestIn(IEnumerable<EpochRecord> history) => history.FirstOrDefault(h => h.Epoch == BestEpoch);
}
