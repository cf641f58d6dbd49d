using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Mnist.Testing;
using Mnist.Web.Tests.Support;
using SkiaSharp;

namespace Mnist.Web.Tests;

/// <summary>GET /api/model/plots/{name}.svg|png: the served model's pictures, from its run folder.</summary>
[Collection(ServedModelCollection.Name)]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class PlotsApiTests(ServedModelFixture served)
{
    private HttpClient Client => served.Client;

    private string RunDir => Path.GetDirectoryName(Path.GetFullPath(served.ModelPath))!;

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, params string[] detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        foreach (var text in detailContains) Assert.Contains(text, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("curves", "epoch")]
    [InlineData("confusion", "predicted class")]
    [InlineData("mistakes", "confidence")]
    public async Task Each_picture_is_served_as_svg_from_the_run_folder(string name, string text)
    {
        var response = await Client.GetAsync(new Uri($"/api/model/plots/{name}.svg", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(RunDir, name + ".svg")), body);
        var svg = XDocument.Parse(System.Text.Encoding.UTF8.GetString(body));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Contains(svg.Root.Descendants().Where(e => e.Name.LocalName == "text"), e => e.Value.Contains(text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("curves")]
    [InlineData("confusion")]
    [InlineData("mistakes")]
    public async Task Each_picture_is_served_as_png(string name)
    {
        var response = await Client.GetAsync(new Uri($"/api/model/plots/{name}.png", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.True(bitmap.Width >= 800 && bitmap.Height >= 400, $"{name}.png is {bitmap.Width}x{bitmap.Height}");
    }

    [Theory]
    [InlineData("model.ckpt")]
    [InlineData("history.svg")]
    [InlineData("curves.gif")]
    [InlineData("curves")]
    [InlineData("Curves.svg")]
    public async Task A_name_that_is_not_a_picture_is_a_404_listing_the_pictures(string file)
    {
        var response = await Client.GetAsync(new Uri($"/api/model/plots/{file}", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "curves, confusion, mistakes");
    }

    [Fact]
    public async Task A_picture_missing_from_the_run_folder_is_a_404_naming_the_file_and_the_folder()
    {
        using var bare = new TempDir();
        File.Copy(served.ModelPath, bare.File("model.ckpt"));
        var (app, address) = await ServedModelFixture.StartAsync(new ServeOptions { Model = bare.Path, Urls = "http://127.0.0.1:0" });
        await using var _ = app;
        using var client = new HttpClient { BaseAddress = address };

        var response = await client.GetAsync(new Uri("/api/model/plots/confusion.svg", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "confusion.svg", bare.Path, "mnist report");
    }

    [Fact]
    public async Task The_page_has_a_place_for_each_picture_and_asks_for_them()
    {
        var html = await Client.GetStringAsync(new Uri("/", UriKind.Relative));
        var js = await Client.GetStringAsync(new Uri("/app.js", UriKind.Relative));

        foreach (var name in new[] { "curves", "confusion", "mistakes" }) Assert.Contains($"id=\"plot-{name}\"", html, StringComparison.Ordinal);
        Assert.Contains("/api/model/plots/", js, StringComparison.Ordinal);
    }
}
