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

    public static DatasetInfo ByName(string name) => name.ToLowerInvariant() switch
    {
        "mnist" => Mnist,
        _ => throw new ArgumentException($"unknown dataset '{name}'; known: mnist", nameof(name)),
    };
}
