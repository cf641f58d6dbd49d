using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Mnist.Cli.Commands;

/// <summary>What <c>mnist serve</c> and <c>mnist dashboard</c> do once their app has started: say where it listens, run until Ctrl+C, stop.</summary>
internal static class WebCommand
{
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
