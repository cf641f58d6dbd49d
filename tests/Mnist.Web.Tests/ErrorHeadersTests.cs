using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Testing;

namespace Mnist.Web.Tests;

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class ErrorHeadersTests
{
    [Fact]
    public async Task A_500_written_by_the_exception_handler_still_says_nosniff()
    {
        using var dir = new TempDir();
        var model = SeedModelFile.SaveUntrained(dir.File("model.ckpt"), seed: 2);
        await using var app = WebApp.Build(new ServeOptions { Model = model, Urls = "http://127.0.0.1:0", InferenceThreads = 1 });
        app.MapGet("/throws", string () => throw new InvalidOperationException("a bug behind an endpoint"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        using var response = await client.GetAsync(new Uri("/throws", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        await app.StopAsync();
    }
}
