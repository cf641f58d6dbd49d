using Mnist.Core.Data;
using Mnist.Core.Model;

namespace Mnist.Samples;

/// <summary>The seed's network, untrained, as a model file: for tests and benchmarks that need a file, not accuracy.</summary>
public static class SeedModelFile
{
    /// <summary>An MNIST manifest of the seed configuration, pixels in [0, 1], no data checksums.</summary>
    public static ModelManifest Manifest() => new()
    {
        Dataset = DatasetInfo.Mnist.Name,
        ClassNames = DatasetInfo.Mnist.ClassNames,
        Hyperparameters = ModelConfig.Seed,
        Normalization = Normalization.UnitRange,
        DataChecksums = new Dictionary<string, string>(),
    };

    /// <summary>Builds the seed network with <paramref name="seed"/> and saves it at <paramref name="path"/>.</summary>
    public static string SaveUntrained(string path, long seed)
    {
        using var model = ModelBuilder.Build(ModelConfig.Seed, seed);
        ModelFile.Save(path, new ModelFileContents { Manifest = Manifest(), Weights = ModelFile.SerializeWeights(model) });
        return path;
    }
}
