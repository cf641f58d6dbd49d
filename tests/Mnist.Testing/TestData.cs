using Mnist.Core.Data;

namespace Mnist.Testing;

/// <summary>Where the real MNIST files are: $MNIST_DATA_DIR, else shared/data/mnist beside the checkout.</summary>
public static class TestData
{
    private static readonly Lazy<string> Dir = new(Locate);
    private static readonly Lazy<Dataset> Loaded = new(() => Dataset.Load(MnistDir, DatasetInfo.Mnist));

    public static string MnistDir => Dir.Value;

    /// <summary>
    /// Fashion-MNIST: $FASHION_MNIST_DATA_DIR, else where Debian's dataset-fashion-mnist installs it.
    /// </summary>
    public static string FashionMnistDir
    {
        get
        {
            var dir = DataLocator.Resolve(null, DatasetInfo.FashionMnist);
            return DatasetInfo.FashionMnist.Files.All(f => DataLocator.FindFile(dir, f) is not null)
                ? dir
                : throw new InvalidOperationException($"Fashion-MNIST not found in {dir}: apt-get install -y dataset-fashion-mnist (as .ci/run does), or set FASHION_MNIST_DATA_DIR.");
        }
    }

    /// <summary>The real MNIST dataset, read once per test run.</summary>
    public static Dataset Mnist => Loaded.Value;

    /// <summary>The first <paramref name="count"/> MNIST test images as model inputs: row-major floats in [0, 1].</summary>
    public static float[][] TestInputs(int count) =>
        Enumerable.Range(0, count).Select(i => Mnist.Test.Image(i).ToArray().Select(b => b / 255f).ToArray()).ToArray();

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable(DataLocator.EnvironmentVariable) is { Length: > 0 } env) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "data", "mnist"), Path.Combine(dir.FullName, "..", "shared", "data", "mnist") })
            {
                if (File.Exists(Path.Combine(candidate, DatasetInfo.Mnist.TrainImages.Name))) return Path.GetFullPath(candidate);
            }
        }
        throw new InvalidOperationException($"MNIST not found: set {DataLocator.EnvironmentVariable} or put the files in shared/data/mnist beside the checkout.");
    }
}
