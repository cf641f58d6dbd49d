using System.Net;
using Mnist.Core.Data;
using Mnist.Testing;

namespace Mnist.Core.Tests.Data;

public sealed class DownloaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Mirrors served in memory: URL prefix to (file name to response bytes, or null for 404).</summary>
    private sealed class FakeMirrors(Dictionary<string, Func<string, byte[]?>> mirrors) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var url = request.RequestUri!.ToString();
            Requests.Add(url);
            foreach (var (prefix, serve) in mirrors)
            {
                if (url.StartsWith(prefix, StringComparison.Ordinal) && serve(url[prefix.Length..]) is { } body)
                {
                    return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) });
                }
            }
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }

    private static DatasetInfo Tiny(out Dictionary<string, byte[]> official)
    {
        var payloads = new Dictionary<string, byte[]>
        {
            ["train-images-idx3-ubyte.gz"] = IdxWriter.Images(4, 28, 28),
            ["train-labels-idx1-ubyte.gz"] = IdxWriter.Labels([1, 2, 3, 4]),
            ["t10k-images-idx3-ubyte.gz"] = IdxWriter.Images(2, 28, 28),
            ["t10k-labels-idx1-ubyte.gz"] = IdxWriter.Labels([5, 6]),
        };
        official = payloads.ToDictionary(p => p.Key, p => IdxWriter.Gzip(p.Value));
        DatasetFile F(string name) => new(name, Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(payloads[name])), payloads[name].Length);
        return DatasetInfo.Mnist with
        {
            Name = "tiny",
            TrainImages = F("train-images-idx3-ubyte.gz"),
            TrainLabels = F("train-labels-idx1-ubyte.gz"),
            TestImages = F("t10k-images-idx3-ubyte.gz"),
            TestLabels = F("t10k-labels-idx1-ubyte.gz"),
            Mirrors = ["http://down.example/", "http://corrupt.example/", "http://good.example/"],
        };
    }

    [Fact]
    public async Task Given_a_dead_and_a_corrupt_mirror_When_downloading_Then_the_files_come_verified_from_the_good_one()
    {
        var info = Tiny(out var official);
        var mirrors = new FakeMirrors(new()
        {
            ["http://corrupt.example/"] = name => official[name].Take(official[name].Length - 9).Concat(new byte[9]).ToArray(),
            ["http://good.example/"] = name => official[name],
        });

        await new Downloader(new HttpClient(mirrors)).EnsureAsync(_dir.Path, info);

        foreach (var f in info.Files) Assert.Equal(official[f.Name], File.ReadAllBytes(_dir.File(f.Name)));
        Assert.Equal(info.Files.Select(f => f.Name).Order(), Directory.GetFiles(_dir.Path).Select(p => Path.GetFileName(p)!).Order());
        Assert.Equal(12, mirrors.Requests.Count);
        Assert.Equal(4, Dataset.Load(_dir.Path, info).Train.Count);
    }

    [Fact]
    public async Task Given_files_already_present_When_ensuring_Then_nothing_is_downloaded()
    {
        var info = Tiny(out var official);
        foreach (var (name, bytes) in official) File.WriteAllBytes(_dir.File(name), bytes);
        var mirrors = new FakeMirrors([]);

        await new Downloader(new HttpClient(mirrors)).EnsureAsync(_dir.Path, info);

        Assert.Empty(mirrors.Requests);
    }

    [Fact]
    public async Task Given_no_mirror_answers_When_downloading_Then_the_error_says_where_to_put_the_files_and_leaves_nothing_behind()
    {
        var info = Tiny(out _);
        var downloader = new Downloader(new HttpClient(new FakeMirrors([])));

        var e = await Assert.ThrowsAsync<DataUnavailableException>(() => downloader.EnsureAsync(_dir.Path, info));

        Assert.Contains(_dir.Path, e.Message);
        Assert.Contains("name a folder that has them", e.Message);
        Assert.Contains("http://good.example/t10k-labels-idx1-ubyte.gz", e.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }
}
