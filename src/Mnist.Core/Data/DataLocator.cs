namespace Mnist.Core.Data;

/// <summary>
/// Where a dataset's files are: an explicit directory, else the dataset's environment variable
/// (<c>MNIST_DATA_DIR</c>, <c>FASHION_MNIST_DATA_DIR</c>), else a system package's folder that
/// holds all four files (Debian's <c>dataset-fashion-mnist</c>), else a per-user cache folder.
/// </summary>
public static class DataLocator
{
    /// <summary>MNIST's variable, <c>MNIST_DATA_DIR</c> (each dataset has its own: <see cref="DatasetInfo.EnvironmentVariable"/>).</summary>
    public static string EnvironmentVariable => DatasetInfo.Mnist.EnvironmentVariable;

    public static string Resolve(string? explicitDir, DatasetInfo dataset, Func<string, string?>? getEnv = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!string.IsNullOrWhiteSpace(explicitDir)) return Path.GetFullPath(explicitDir);
        var env = (getEnv ?? Environment.GetEnvironmentVariable)(dataset.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        var installed = dataset.SystemDirectories.FirstOrDefault(d => dataset.Files.All(f => FindFile(d, f) is not null));
        return installed ?? DefaultCacheDir(dataset, getEnv);
    }

    /// <summary><c>$XDG_CACHE_HOME/mnist-dotnet/NAME</c>, else <c>~/.cache/mnist-dotnet/NAME</c> (LocalApplicationData on Windows).</summary>
    public static string DefaultCacheDir(DatasetInfo dataset, Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        string root;
        if (OperatingSystem.IsWindows())
        {
            root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        }
        else
        {
            var xdg = getEnv("XDG_CACHE_HOME");
            root = !string.IsNullOrWhiteSpace(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        return Path.Combine(root, "mnist-dotnet", dataset.Name);
    }

    /// <summary>The path of a file in the directory: the .gz as named, or its decompressed twin.</summary>
    public static string? FindFile(string dir, DatasetFile file)
    {
        var gz = Path.Combine(dir, file.Name);
        if (File.Exists(gz)) return gz;
        var raw = Path.Combine(dir, Path.GetFileNameWithoutExtension(file.Name));
        return File.Exists(raw) ? raw : null;
    }
}
