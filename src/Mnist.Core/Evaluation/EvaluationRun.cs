using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Core.Evaluation;

/// <summary>
/// <c>mnist evaluate</c>: rebuilds the model (or ensemble) from its file and measures it on the
/// test set, each image's answer optionally the mean over it and <paramref name="testTimeVariants"/>
/// fixed variants (<see cref="Inference.TestTimeAugmentation"/>).
/// </summary>
public static class EvaluationRun
{
    public static async Task<EvaluationResult> RunAsync(string model, string? dataDir, int? threads = null, DeviceKind device = DeviceKind.Cpu, int testTimeVariants = 0,
        TextWriter? log = null, CancellationToken ct = default)
    {
        Inference.TestTimeAugmentation.Check(testTimeVariants);
        var dev = Engine.Configure(threads, device);
        var path = RunFolder.ModelPathOf(model);
        var (network, contents) = ModelFile.LoadModel(path, dev);
        using (network)
        {
            var info = DatasetInfo.ByName(contents.Manifest.Dataset);
            var dataset = await Dataset.LoadOrDownloadAsync(dataDir, info, log, includeTrain: false, ct: ct).ConfigureAwait(false);
            // The augmented network takes pixels in [0, 1] and normalises them itself.
            using var augmented = Inference.TestTimeAugmentation.Network(network, contents.Manifest.Normalization, testTimeVariants);
            return Evaluator.Evaluate(augmented, dataset.Test, Normalization.UnitRange, contents.Manifest.ClassNames, dev);
        }
    }
}
