namespace Mnist.Core.Data;

/// <summary>One IDX file of a dataset: its name and the MD5 of its decompressed payload.</summary>
public sealed record DatasetFile(string Name, string PayloadMd5, long PayloadBytes);

/// <summary>
/// What a dataset is: its four IDX files, their official checksums, where to download them,
/// and its class names. Nothing else in Core assumes digits.
/// </summary>
public sealed record DatasetInfo(
    string Name,
    DatasetFile TrainImages,
    DatasetFile TrainLabels,
    DatasetFile TestImages,
    DatasetFile TestLabels,
    IReadOnlyList<string> Mirrors,
    IReadOnlyList<string> ClassNames)
{
    public IEnumerable<DatasetFile> Files => [TrainImages, TrainLabels, TestImages, TestLabels];

    public int ImageSize => 28;

    /// <summary>
    /// The environment variable naming the dataset's folder: <c>MNIST_DATA_DIR</c>,
    /// <c>FASHION_MNIST_DATA_DIR</c>.
    /// </summary>
    public string EnvironmentVariable => Name.ToUpperInvariant().Replace('-', '_') + "_DATA_DIR";

    /// <summary>Folders where a system package installs the files (looked at before the per-user cache).</summary>
    public IReadOnlyList<string> SystemDirectories { get; init; } = [];

    /// <summary>MNIST (LeCun, Cortes, Burges); checksums of the decompressed payloads.</summary>
    public static DatasetInfo Mnist { get; } = new(
        "mnist",
        new("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb", 47040016),
        new("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624", 60008),
        new("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea", 7840016),
        new("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637", 10008),
        [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ],
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    /// <summary>
    /// Fashion-MNIST (Xiao, Rasul, Vollgraf; Zalando Research): the same format and sizes, ten
    /// kinds of clothing. Checksums of the decompressed payloads (the same in Debian's
    /// <c>dataset-fashion-mnist</c> package, which recompresses the files, and in Zalando's).
    /// </summary>
    public static DatasetInfo FashionMnist { get; } = new(
        "fashion-mnist",
        new("train-images-idx3-ubyte.gz", "f4a8712d7a061bf5bd6d2ca38dc4d50a", 47040016),
        new("train-labels-idx1-ubyte.gz", "9018921c3c673c538a1fc5bad174d6f9", 60008),
        new("t10k-images-idx3-ubyte.gz", "8181f5470baa50b63fa0f6fddb340f0a", 7840016),
        new("t10k-labels-idx1-ubyte.gz", "15d484375f8d13e6eb1aabb0c3f46965", 10008),
        ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
    {
        SystemDirectories = ["/usr/share/datasets/fashion-mnist"],
    };

    /// <summary>Every dataset the product knows.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } = [Mnist, FashionMnist];

    public static DatasetInfo ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(d => d.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown dataset '{name}'; known: {string.Join(", ", All.Select(d => d.Name))}", nameof(name));
    }
}
