namespace Mnist.Core.Model;

/// <summary>One hidden dense layer: units, activation, and the dropout after it.</summary>
public sealed record DenseLayerConfig(int Units, string Activation = "selu", double Dropout = 0.2);

/// <summary>
/// The hyperparameters the network is a pure function of (the seed's <c>build_model(hp)</c>):
/// two conv blocks (Conv 3x3 same + activation, MaxPool 2x2, BatchNorm), Flatten, then for each
/// dense layer Dense + activation, Dropout, BatchNorm, and a softmax output. Beyond the seed,
/// <see cref="ConvLayersPerBlock"/> stacks more convolutions in each block (VGG's way); it is
/// not in the search space.
/// </summary>
public sealed record ModelConfig
{
    public int Conv1Filters { get; init; } = 32;
    public int Conv2Filters { get; init; } = 64;
    public int KernelSize { get; init; } = 3;

    /// <summary>Convolutions (each with its activation, all with the block's filters) before each block's pooling: 1 in the seed, at most <see cref="MaxConvLayersPerBlock"/>.</summary>
    public int ConvLayersPerBlock { get; init; } = 1;

    public const int MaxConvLayersPerBlock = 4;
    public string ConvActivation { get; init; } = "relu";
    public IReadOnlyList<DenseLayerConfig> Dense { get; init; } = [new(256, "selu", 0.2)];
    public double LearningRate { get; init; } = 1e-3;
    public int InputSize { get; init; } = 28;
    public int InputChannels { get; init; } = 1;
    public int Classes { get; init; } = 10;

    /// <summary>PyTorch-style momentum of BatchNorm's running statistics (Keras's momentum 0.99 is 0.01 here).</summary>
    public double BatchNormMomentum { get; init; } = ModelBuilder.DefaultBatchNormMomentum;

    /// <summary>The seed's final model: Conv 32, Conv 64, Dense 256 SELU with dropout 0.2, Adam 1e-3.</summary>
    public static ModelConfig Seed { get; } = new();

    public void Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"hyperparameter {field} = {value}: {rule}");
        }
        Check(Conv1Filters > 0, nameof(Conv1Filters), Conv1Filters, "must be positive");
        Check(Conv2Filters > 0, nameof(Conv2Filters), Conv2Filters, "must be positive");
        Check(KernelSize > 0 && KernelSize % 2 == 1, nameof(KernelSize), KernelSize, "must be a positive odd number");
        Check(ConvLayersPerBlock is >= 1 and <= MaxConvLayersPerBlock, nameof(ConvLayersPerBlock), ConvLayersPerBlock, $"must be 1 to {MaxConvLayersPerBlock}");
        Check(InputSize >= 4, nameof(InputSize), InputSize, "must be at least 4");
        Check(Dense.Count >= 1, "Dense", Dense.Count, "at least one dense layer");
        Check(BatchNormMomentum is > 0 and <= 1, nameof(BatchNormMomentum), BatchNormMomentum, "must be in (0, 1]");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be positive");
        for (var i = 0; i < Dense.Count; i++)
        {
            Check(Dense[i].Units > 0, $"Dense[{i}].Units", Dense[i].Units, "must be positive");
            Check(Dense[i].Dropout is >= 0 and < 1, $"Dense[{i}].Dropout", Dense[i].Dropout, "must be in [0, 1)");
            Check(Activations.IsKnown(Dense[i].Activation), $"Dense[{i}].Activation", Dense[i].Activation, Activations.KnownList);
        }
        Check(Activations.IsKnown(ConvActivation), nameof(ConvActivation), ConvActivation, Activations.KnownList);
    }

    /// <summary>Value equality, the dense layers compared layer by layer (a record compares a list by reference).</summary>
    public bool Equals(ModelConfig? other) =>
        other is not null && Conv1Filters == other.Conv1Filters && Conv2Filters == other.Conv2Filters && KernelSize == other.KernelSize &&
        ConvLayersPerBlock == other.ConvLayersPerBlock && ConvActivation == other.ConvActivation && LearningRate.Equals(other.LearningRate) && InputSize == other.InputSize &&
        InputChannels == other.InputChannels && Classes == other.Classes && BatchNormMomentum.Equals(other.BatchNormMomentum) &&
        Dense.SequenceEqual(other.Dense);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Conv1Filters);
        hash.Add(Conv2Filters);
        hash.Add(KernelSize);
        hash.Add(ConvLayersPerBlock);
        hash.Add(ConvActivation);
        hash.Add(LearningRate);
        hash.Add(InputSize);
        hash.Add(InputChannels);
        hash.Add(Classes);
        hash.Add(BatchNormMomentum);
        foreach (var layer in Dense) hash.Add(layer);
        return hash.ToHashCode();
    }

    public override string ToString() =>
        $"conv {Conv1Filters}/{Conv2Filters}{(ConvLayersPerBlock > 1 ? $" x{ConvLayersPerBlock}" : "")}, dense [{string.Join(", ", Dense.Select(d => $"{d.Units} {d.Activation} drop {d.Dropout:0.###}"))}], lr {LearningRate:0.#####}";
}
