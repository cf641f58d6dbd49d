using System.IO.Compression;
using System.Security.Cryptography;

namespace Mnist.Core.Data;

/// <summary>The dataset is not on disk and could not be downloaded; the message says where to put it.</summary>
public sealed class DataUnavailableException(string message) : Exception(message);

/// <summary>
/// Fetches missing dataset files from the public mirrors, in order. Each download goes to a
/// temporary file, is verified against the MD5 of its decompressed payload, and only then is
/// renamed into place, so a partial or corrupt file is never left under the real name.
/// </summary>
public sealed class Downloader(HttpClient http, TextWriter? log = null)
{
    public static HttpClient CreateDefaultClient() => new() { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>Makes sure every file of the dataset is in <paramref name="dir"/>, downloading what is missing.</summary>
    public async Task EnsureAsync(string dir, DatasetInfo dataset, CancellationToken ct = default)
    {
        var missing = dataset.Files.Where(f => DataLocator.FindFile(dir, f) is null).ToList();
        if (missing.Count == 0) return;
        Directory.CreateDirectory(dir);
        var failures = new List<string>();
        foreach (var file in missing)
        {
            var reasons = new List<string>();
            var ok = false;
            foreach (var mirror in dataset.Mirrors)
            {
                var url = mirror.TrimEnd('/') + "/" + file.Name;
                try
                {
                    log?.WriteLine($"Downloading {url}");
                    await DownloadVerifiedAsync(url, Path.Combine(dir, file.Name), file, ct).ConfigureAwait(false);
                    ok = true;
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or TaskCanceledException)
                {
                    if (ct.IsCancellationRequested) throw;
                    reasons.Add($"{url}: {e.Message}");
                }
            }
            if (!ok) failures.Add($"{file.Name}:\n    " + string.Join("\n    ", reasons));
        }
        if (failures.Count > 0)
        {
            throw new DataUnavailableException(
                $"The {dataset.Name} files are not in {dir} and could not be downloaded:\n  " + string.Join("\n  ", failures) +
                $"\nPut the four files ({string.Join(", ", dataset.Files.Select(f => f.Name))}) in {dir}, " +
                $"or name a folder that has them (or set the environment variable {dataset.EnvironmentVariable} to it).");
        }
    }

    private async Task DownloadVerifiedAsync(string url, string target, DatasetFile file, CancellationToken ct)
    {
        var tmp = target + $".{Environment.ProcessId}.download";
        try
        {
            using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false))
            {
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using var output = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None);
                await body.CopyToAsync(output, ct).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }
            var md5 = PayloadMd5OfGzip(tmp);
            if (md5 != file.PayloadMd5)
            {
                throw new InvalidDataException($"checksum mismatch: decompressed payload has MD5 {md5}, expected {file.PayloadMd5}");
            }
            File.Move(tmp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static string PayloadMd5OfGzip(string path)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        return Convert.ToHexStringLower(MD5.HashData(stream));
    }
}
