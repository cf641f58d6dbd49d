using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnist.Core.Tuning;

namespace Mnist.Web.Dashboard;

/// <summary>How <c>mnist dashboard</c> runs.</summary>
public sealed record DashboardOptions
{
    /// <summary>A storage URL (postgresql://..., sqlite:///PATH.db); with <see cref="Study"/>, only that study of it.</summary>
    public string? Storage { get; init; }

    /// <summary>Without <see cref="Storage"/>: DIR/NAME of a SQLite study, or a folder DIR of them.</summary>
    public string? Study { get; init; }

    /// <summary>Where Kestrel listens; port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5100";
}

/// <summary>
/// <c>mnist dashboard</c>: a read-only view of hyperparameter studies as they run, Optuna Dashboard's
/// counterpart. One page (embedded in this assembly, no CDN) polls a JSON API that reads the stores
/// read-only on every request (<see cref="StudySource"/>): a running search is never blocked or changed.
/// </summary>
public static class DashboardApp
{
    /// <summary>The page's files, by route.</summary>
    internal static readonly IReadOnlyDictionary<string, (string Resource, string ContentType)> Assets = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["/"] = ("wwwroot/dashboard/index.html", "text/html; charset=utf-8"),
        ["/dashboard.js"] = ("wwwroot/dashboard/dashboard.js", "text/javascript; charset=utf-8"),
        ["/dashboard.css"] = ("wwwroot/dashboard/dashboard.css", "text/css; charset=utf-8"),
        ["/favicon.svg"] = ("wwwroot/favicon.svg", "image/svg+xml"),
    };

    /// <summary>
    /// Builds the app over the studies the options name. A source that cannot be opened (a URL that does not parse,
    /// a SQLite study that is not there) throws here, before anything listens, with a message naming it.
    /// </summary>
    public static WebApplication Build(DashboardOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var source = StudySource.Open(options.Storage, options.Study);
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.WebHost.UseUrls(options.Urls);
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = 0; // read-only: no request has a body
            });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None); // a failed start is thrown to the caller, which says it in one line
            builder.Services.AddProblemDetails();
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(source);
            builder.Services.AddSingleton(TimeProvider.System);
            configure?.Invoke(builder);

            var app = builder.Build();
            app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode : StatusCodes.Status500InternalServerError });
            app.UseStatusCodePages();
            ResponseHeaders.UseNoSniff(app);
            app.Use((context, next) =>
            {
                if (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)) context.Response.Headers.CacheControl = "no-store"; // live data
                return next(context);
            });
            StaticAssets.Map(app, Assets);
            DashboardEndpoints.Map(app);
            app.Lifetime.ApplicationStopped.Register(source.Dispose);
            return app;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }
}
