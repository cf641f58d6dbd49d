using System.Globalization;
using System.Text;

namespace Mnist.Core.Training;

/// <summary>The metrics of one epoch, as Keras's History records them.</summary>
public sealed record EpochRecord(
    int Epoch,
    double Loss,
    double Accuracy,
    double ValLoss,
    double ValAccuracy,
    double LearningRate,
    double Seconds);

public static class HistoryCsv
{
    public static string Format(IEnumerable<EpochRecord> history)
    {
        var sb = new StringBuilder("epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds\n");
        foreach (var r in history)
        {
            sb.AppendLine(string.Join(',',
                r.Epoch.ToString(CultureInfo.InvariantCulture),
                r.Loss.ToString("R", CultureInfo.InvariantCulture),
                r.Accuracy.ToString("R", CultureInfo.InvariantCulture),
                r.ValLoss.ToString("R", CultureInfo.InvariantCulture),
                r.ValAccuracy.ToString("R", CultureInfo.InvariantCulture),
                r.LearningRate.ToString("R", CultureInfo.InvariantCulture),
                r.Seconds.ToString("0.###", CultureInfo.InvariantCulture)));
        }
        return sb.ToString();
    }
}
