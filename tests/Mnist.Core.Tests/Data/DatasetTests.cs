using Mnist.Core.Data;
using Mnist.Testing;

namespace Mnist.Core.Tests.Data;

public sealed class DatasetTests
{
    [Fact]
    public void Given_the_real_files_When_loaded_Then_sizes_and_official_checksums_hold()
    {
        var mnist = TestData.Mnist;

        Assert.Equal(60000, mnist.Train.Count);
        Assert.Equal(10000, mnist.Test.Count);
        Assert.Equal((28, 28), (mnist.Test.Height, mnist.Test.Width));
        foreach (var file in DatasetInfo.Mnist.Files) Assert.Equal(file.PayloadMd5, mnist.Checksums[file.Name]);
    }

    [Fact]
    public void Given_a_folder_missing_a_file_When_loaded_Then_the_error_names_the_file_and_where_to_put_it()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<DataUnavailableException>(() => Dataset.Load(dir.Path, DatasetInfo.Mnist));

        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message);
    }

    [Fact]
    public void Given_a_file_that_is_not_the_official_one_When_loaded_Then_the_checksum_error_names_it()
    {
        using var dir = new TempDir();
        foreach (var f in DatasetInfo.Mnist.Files) File.Copy(Path.Combine(TestData.MnistDir, f.Name), dir.File(f.Name));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte.gz"), IdxWriter.Gzip(IdxWriter.Labels(new byte[10000])));

        var e = Assert.Throws<IdxFormatException>(() => Dataset.Load(dir.Path, DatasetInfo.Mnist));

        Assert.Contains("t10k-labels-idx1-ubyte.gz", e.FilePath);
        Assert.Contains("checksum mismatch", e.Message);
    }

    [Fact]
    public void Given_no_option_When_resolving_the_folder_Then_the_environment_variable_wins_over_the_cache()
    {
        var env = new Dictionary<string, string?> { [DataLocator.EnvironmentVariable] = "/data/env", ["XDG_CACHE_HOME"] = "/cache" };

        Assert.Equal("/data/option", DataLocator.Resolve("/data/option", DatasetInfo.Mnist, k => env.GetValueOrDefault(k)));
        Assert.Equal("/data/env", DataLocator.Resolve(null, DatasetInfo.Mnist, k => env.GetValueOrDefault(k)));
        env.Remove(DataLocator.EnvironmentVariable);
        Assert.Equal("/cache/mnist-dotnet/mnist", DataLocator.Resolve(null, DatasetInfo.Mnist, k => env.GetValueOrDefault(k)));
    }

    [Fact]
    public void Given_fashion_mnist_When_resolving_the_folder_Then_its_own_variable_counts_and_MNISTs_does_not()
    {
        var env = new Dictionary<string, string?> { ["MNIST_DATA_DIR"] = "/data/mnist", ["XDG_CACHE_HOME"] = "/cache" };
        var fashion = DatasetInfo.FashionMnist with { SystemDirectories = [] };

        Assert.Equal("/cache/mnist-dotnet/fashion-mnist", DataLocator.Resolve(null, fashion, k => env.GetValueOrDefault(k)));
        env["FASHION_MNIST_DATA_DIR"] = "/data/fashion";
        Assert.Equal("/data/fashion", DataLocator.Resolve(null, fashion, k => env.GetValueOrDefault(k)));
    }

    [Fact]
    public void Given_a_system_package_folder_with_the_four_files_When_resolving_Then_it_is_used_before_the_cache()
    {
        using var dir = new TempDir();
        var partial = new TempDir();
        using (partial)
        {
            foreach (var f in DatasetInfo.FashionMnist.Files) File.WriteAllBytes(dir.File(f.Name), []);
            File.WriteAllBytes(partial.File(DatasetInfo.FashionMnist.TrainImages.Name), []);
            var fashion = DatasetInfo.FashionMnist with { SystemDirectories = [partial.Path, dir.Path] };
            var env = new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = "/cache" };

            Assert.Equal(dir.Path, DataLocator.Resolve(null, fashion, k => env.GetValueOrDefault(k)));
        }
    }

    [Fact]
    public void Given_an_unknown_dataset_name_When_looked_up_Then_the_error_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetInfo.ByName("cifar10"));

        Assert.Contains("cifar10", e.Message);
        Assert.Contains("mnist, fashion-mnist", e.Message);
        Assert.Same(DatasetInfo.FashionMnist, DatasetInfo.ByName("Fashion-MNIST"));
    }
}
