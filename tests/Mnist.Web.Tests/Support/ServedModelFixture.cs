using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Web.Tests.Support;

/// <summary>
/// The web app on a real Kestrel server, in this process, on a free loopback port, serving a
/// seed model trained once per test run (two epochs on the first 12,000 training images; a
/// user's model file can stand in through MNIST_WEB_TEST_MODEL, as for the README screenshot).
/// </summary>
public sealed class ServedModelFixture : IAsyncLifetime
{
    public const string ModelVariable = "MNIST_WEB_TEST_MODEL";
    private WebApplication? _app;

    public TempDir Dir { get; } = new();
    public string ModelPath { get; private set; } = "";
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");
    public HttpClient Client { get; private set; } = new();

    public async Task InitializeAsync()
    {
        ModelPath = Environment.GetEnvironmentVariable(ModelVariable) is { Length: > 0 } given
            ? given
            : (await TrainingRun.RunAsync(new TrainRequest
            {
                OutDir = Dir.Path,
                DataDir = TestData.MnistDir,
                Options = new TrainingOptions { Epochs = 2, TrainLimit = 12_000, Seed = 42 },
            })).ModelPath;
        (_app, BaseAddress) = await StartAsync(new ServeOptions { Model = ModelPath, Urls = "http://127.0.0.1:0" });
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    /// <summary>Starts another instance of the app (other options) on a free port; the caller disposes it.</summary>
    public static async Task<(WebApplication App, Uri BaseAddress)> StartAsync(ServeOptions options)
    {
        var app = WebApp.Build(options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        Dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServedModelCollection : ICollectionFixture<ServedModelFixture>
{
    public const string Name = "served model";
}
