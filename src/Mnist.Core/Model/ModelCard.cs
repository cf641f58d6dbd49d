using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Training;

namespace Mnist.Core.Model;

/// <summary>
/// What a user is told about a model, read from its file alone: where it came from, its
/// architecture (Keras's summary; an ensemble's first member's, with <see cref="Members"/> listing
/// them all and <see cref="TotalParams"/> their sum), how it was trained, how it did on the test
/// set, and how many test-time variants the server averages (0: none).
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
    EvaluationResult? Evaluation,
    IReadOnlyList<EnsembleMember>? Members = null,
    long TotalParams = 0,
    int TestTimeVariants = 0)
{
    /// <summary>The test accuracy, when the file holds a test evaluation.</summary>
    public double? TestAccuracy => Evaluation?.Accuracy;

    public static ModelCard From(string path, ModelFileContents contents, int testTimeVariants = 0)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var m = contents.Manifest;
        var summary = ModelSummary.For(m.Hyperparameters);
        return new ModelCard(
            Path.GetFileName(path), m.Dataset, m.ClassNames, m.Hyperparameters, summary,
            m.Normalization, m.Epoch, m.Best, m.Training, m.DataChecksums, m.CreatedUtc, m.TorchSharpVersion,
            contents.History, contents.Evaluation, m.Members, m.IsEnsemble ? m.TotalParams : summary.TotalParams, testTimeVariants);
    }
}
