using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Training;

namespace Mnist.Core.Model;

/// <summary>
/// What a user is told about a model, read from its file alone: where it came from, its
/// architecture (Keras's summary), how it was trained, and how it did on the test set.
/// </summary>
public sealed record ModelCard(
    string File,
    string Dataset,
    IReadOnlyList<string> ClassNames,
    ModelConfig Hyperparameters,
    ModelSummary Summary,
    Normalization Normalization,
    int Epoch,
    BestMetric? Best,
    TrainingOptions? Training,
    IReadOnlyDictionary<string, string> DataChecksums,
    DateTimeOffset CreatedUtc,
    string TorchSharpVersion,
    IReadOnlyList<EpochRecord> History,
    EvaluationResult? Evaluation)
{
    /// <summary>The test accuracy, when the file holds a test evaluation.</summary>
    public double? TestAccuracy => Evaluation?.Accuracy;

    public static ModelCard From(string path, ModelFileContents contents)
    {
        var m = contents.Manifest;
        return new ModelCard(
            Path.GetFileName(path), m.Dataset, m.ClassNames, m.Hyperparameters, ModelSummary.For(m.Hyperparameters),
            m.Normalization, m.Epoch, m.Best, m.Training, m.DataChecksums, m.CreatedUtc, m.TorchSharpVersion,
            contents.History, contents.Evaluation);
    }
}
