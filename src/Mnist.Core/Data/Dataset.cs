namespace Mnist.Core.Data;

/// <summary>A dataset's training and test images, read from IDX files and verified.</summary>
public sealed class Dataset
{
    private Dataset(DatasetInfo info, string directory, LabeledImages train, LabeledImages test, IReadOnlyDictionary<string, string> checksums)
    {
        Info = info;
        Directory = directory;
        Train = train;
        Test = test;
        Checksums = checksums;
    }

    public DatasetInfo Info { get; }
    public string Directory { get; }
    public LabeledImages Train { get; }
    public LabeledImages Test { get; }

    /// <summary>MD5 of each file's decompressed payload, by file name.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; }

    /// <summary>Reads the dataset from <paramref name="directory"/>; a file that does not match its official checksum is an error.</summary>
    public static Dataset Load(string directory, DatasetInfo info, bool includeTrain = true)
    {
        var checksums = new SortedDictionary<string, string>(StringComparer.Ordinal);
        LabeledImages Read(DatasetFile imagesFile, DatasetFile labelsFile)
        {
            var imagesPath = Require(directory, imagesFile, info);
            var labelsPath = Require(directory, labelsFile, info);
            var images = IdxReader.ReadImages(imagesPath);
            var labels = IdxReader.ReadLabels(labelsPath, info.ClassNames.Count);
            Verify(imagesPath, imagesFile, images.PayloadMd5);
            Verify(labelsPath, labelsFile, labels.PayloadMd5);
            checksums[imagesFile.Name] = images.PayloadMd5;
            checksums[labelsFile.Name] = labels.PayloadMd5;
            if (images.Count != labels.Count)
            {
                throw new IdxFormatException(imagesPath, $"has {images.Count} images but {labelsPath} has {labels.Count} labels");
            }
            if (images.Rows != info.ImageSize || images.Columns != info.ImageSize)
            {
                throw new IdxFormatException(imagesPath, $"images are {images.Rows}x{images.Columns}; {info.Name} images are {info.ImageSize}x{info.ImageSize}");
            }
            return new LabeledImages(images.Pixels, labels.Labels, images.Rows, images.Columns);
        }

        var test = Read(info.TestImages, info.TestLabels);
        var train = includeTrain ? Read(info.TrainImages, info.TrainLabels) : new LabeledImages([], [], info.ImageSize, info.ImageSize);
        return new Dataset(info, directory, train, test, checksums);
    }

    /// <summary>Resolves the data folder (option, environment, cache), downloads what is missing, and loads it.</summary>
    public static async Task<Dataset> LoadOrDownloadAsync(string? dataDir, DatasetInfo info, TextWriter? log = null, bool includeTrain = true, HttpClient? http = null, CancellationToken ct = default)
    {
        var dir = DataLocator.Resolve(dataDir, info);
        if (info.Files.Any(f => DataLocator.FindFile(dir, f) is null))
        {
            using var ownClient = http is null ? Downloader.CreateDefaultClient() : null;
            await new Downloader(http ?? ownClient!, log).EnsureAsync(dir, info, ct).ConfigureAwait(false);
        }
        return Load(dir, info, includeTrain);
    }

    private static string Require(string dir, DatasetFile file, DatasetInfo info) =>
        DataLocator.FindFile(dir, file) ?? throw new DataUnavailableException(
            $"{Path.Combine(dir, file.Name)}: file not found. Put the four {info.Name} files " +
            $"({string.Join(", ", info.Files.Select(f => f.Name))}) there, or name the folder that has them.");

    private static void Verify(string path, DatasetFile file, string md5)
    {
        if (md5 != file.PayloadMd5)
        {
            throw new IdxFormatException(path, $"checksum mismatch: decompressed payload has MD5 {md5}, the official file has {file.PayloadMd5}; the file is corrupt or not the official one (delete it to download it again)");
        }
    }
}
