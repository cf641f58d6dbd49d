using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Core.Evaluation;

/// <summary>
/// <c>mnist evaluate</c>: rebuilds the model (or ensemble) from its file and measures it on the
/// test set, or on the validation split it never trained on (<see cref="HeldOutSplit"/>: for
/// choosing settings such as the test-time variants), each image's answer optionally the mean over
/// it and <c>testTimeVariants</c> fixed variants (<see cref="Inference.TestTimeAugmentation"/>).
/// </summary>
public static class EvaluationRun
{
    public static async Task<EvaluationReport> RunAsync(string model, string? dataDir, int? threads = null, DeviceKind device = DeviceKind.Cpu, int testTimeVariants = 0,
        EvaluationSplit split = EvaluationSplit.Test, TextWriter? log = null, CancellationToken ct = default)
    {
        Inference.TestTimeAugmentation.Check(testTimeVariants);
        var path = RunFolder.ModelPathOf(model);
        var manifest = ModelFile.Read(path).Manifest;
        // Before the network and the data: an ensemble of different splits has no validation split.
        TrainingOptions heldOut;
        string source;
        try
        {
            (heldOut, source) = split == EvaluationSplit.Validation ? HeldOutSplit.Of(manifest) : (new TrainingOptions(), "the test set");
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        var dev = Engine.Configure(threads, device);
        var (network, contents) = ModelFile.LoadModel(path, dev);
        using (network)
        {
            var info = DatasetInfo.ByName(contents.Manifest.Dataset);
            var dataset = await Dataset.LoadOrDownloadAsync(dataDir, info, log, includeTrain: split == EvaluationSplit.Validation, ct: ct).ConfigureAwait(false);
            // The augmented network takes pixels in [0, 1] and normalises them itself.
            using var augmented = Inference.TestTimeAugmentation.Network(network, contents.Manifest.Normalization, testTimeVariants);
            var result = Evaluator.Evaluate(augmented, HeldOutSplit.Images(dataset, split, heldOut), Normalization.UnitRange, contents.Manifest.ClassNames, dev);
            return new EvaluationReport(result, split, source, testTimeVariants);
        }
    }
}

/// <summary>What <c>mnist evaluate</c> measured, and on which images.</summary>
public sealed record EvaluationReport(EvaluationResult Result, EvaluationSplit Split, string Source, int TestTimeVariants)
{
    /// <summary>The result's JSON (<c>accuracy</c>, <c>loss</c>, <c>per_class</c>, <c>confusion_matrix</c>, ...) with <c>split</c>, <c>source</c> and <c>test_time_variants</c> beside them.</summary>
    public string ToJson()
    {
        var node = System.Text.Json.JsonSerializer.SerializeToNode(Result, Json.Options)!.AsObject();
        node["split"] = Choice.Name(Split);
        node["source"] = Source;
        node["test_time_variants"] = TestTimeVariants;
        return node.ToJsonString(Json.Options);
    }

    public string ToText() => Split == EvaluationSplit.Test ? Result.ToText()
        : $"On {Source}.{Environment.NewLine}{Result.ToText("Validation")}";
}
