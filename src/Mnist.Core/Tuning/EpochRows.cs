using System.Data.Common;
using Mnist.Core.Training;

namespace Mnist.Core.Tuning;

/// <summary>
/// Epoch rows as both stores select them: epoch, loss, accuracy, val_loss, val_accuracy,
/// learning_rate, seconds (a NULL metric reads as NaN), optionally after the trial's id.
/// </summary>
internal static class EpochRows
{
    /// <summary>Every row of <paramref name="reader"/> (the seven columns), in order; disposes the reader.</summary>
    public static IReadOnlyList<EpochRecord> List(DbDataReader reader)
    {
        using (reader)
        {
            var list = new List<EpochRecord>();
            while (reader.Read()) list.Add(Read(reader, 0));
            return list;
        }
    }

    /// <summary>Every row of <paramref name="reader"/> (the trial's id, then the seven columns), grouped by trial; disposes the reader.</summary>
    public static IReadOnlyDictionary<int, IReadOnlyList<EpochRecord>> ByTrial(DbDataReader reader)
    {
        using (reader)
        {
            var byTrial = new Dictionary<int, List<EpochRecord>>();
            while (reader.Read())
            {
                var trial = reader.GetInt32(0);
                if (!byTrial.TryGetValue(trial, out var list)) byTrial[trial] = list = [];
                list.Add(Read(reader, 1));
            }
            return byTrial.ToDictionary(p => p.Key, p => (IReadOnlyList<EpochRecord>)p.Value);
        }
    }

    private static EpochRecord Read(DbDataReader r, int first)
    {
        double D(int i) => r.IsDBNull(first + i) ? double.NaN : r.GetDouble(first + i);
        return new EpochRecord(r.GetInt32(first), D(1), D(2), D(3), D(4), D(5), D(6));
    }
}
