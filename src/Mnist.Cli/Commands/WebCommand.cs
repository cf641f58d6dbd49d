using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Mnist.Cli.Commands;

/// <summary>What <c>mnist serve</c> and <c>mnist dashboard</c> do with their app: start it, say where it listens, run until Ctrl+C, stop.</summary>
internal static class WebCommand
{
    /// <summary>Starts <paramref name="app"/>; an address already taken is an error naming <c>--urls</c> <paramref name="urls"/> (not a stack trace).</summary>
    public static async Task StartAsync(WebApplication app, string urls, CliContext context)
    {
        try
        {
            await app.StartAsync(context.Cancellation).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            throw new InvalidOperationException($"--urls {urls}: {e.Message} (another --urls, or port 0 for a free one)", e);
        }
    }

    /// <summary>Prints <paramref name="banner"/> of the addresses the started <paramref name="app"/> listens on, waits for Ctrl+C, then stops it.</summary>
    public static async Task<int> RunUntilStoppedAsync(WebApplication app, CliContext context, Func<string, string> banner)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        context.Output.WriteLine(banner(string.Join(", ", addresses)));
        try
        {
            await Task.Delay(Timeout.Infinite, context.Cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return CliApp.Ok;
    }
}
