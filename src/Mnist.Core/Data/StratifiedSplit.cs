namespace Mnist.Core.Data;

/// <summary>A seeded split that keeps each class's share equal in both parts.</summary>
public static class StratifiedSplit
{
    /// <summary>Indices of the training and validation parts, each sorted ascending.</summary>
    public static (int[] Train, int[] Validation) Split(IReadOnlyList<byte> labels, double validationFraction, int seed)
    {
        if (validationFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");
        }
        var rng = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var indices = group.ToArray();
            rng.Shuffle(indices);
            var take = (int)Math.Round(indices.Length * validationFraction, MidpointRounding.AwayFromZero);
            validation.AddRange(indices.Take(take));
            train.AddRange(indices.Skip(take));
        }
        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }
}
