using Mnist.Core.Data;
using Mnist.Core.Infrastructure;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Core.Evaluation;

/// <summary><c>mnist evaluate</c>: rebuilds the model from its file and measures it on the test set.</summary>
public static class EvaluationRun
{
    public static async Task<EvaluationResult> RunAsync(string model, string? dataDir, int? threads = null, DeviceKind device = DeviceKind.Cpu, TextWriter? log = null, CancellationToken ct = default)
    {
        var dev = Engine.Configure(threads, device);
        var path = RunFolder.ModelPathOf(model);
        var (network, contents) = ModelFile.LoadModel(path, dev);
        using (network)
        {
            var info = DatasetInfo.ByName(contents.Manifest.Dataset);
            var dataset = await Dataset.LoadOrDownloadAsync(dataDir, info, log, includeTrain: false, ct: ct).ConfigureAwait(false);
            return Evaluator.Evaluate(network, dataset.Test, contents.Manifest.Normalization, contents.Manifest.ClassNames, dev);
        }
    }
}
