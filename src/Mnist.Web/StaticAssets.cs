using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Mnist.Web;

/// <summary>The page's files, served from this assembly's embedded resources: no CDN, nothing on disk.</summary>
internal static class StaticAssets
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["/"] = ("wwwroot/index.html", "text/html; charset=utf-8"),
        ["/app.js"] = ("wwwroot/app.js", "text/javascript; charset=utf-8"),
        ["/app.css"] = ("wwwroot/app.css", "text/css; charset=utf-8"),
        ["/favicon.svg"] = ("wwwroot/favicon.svg", "image/svg+xml"),
    };

    public static void Map(WebApplication app) => Map(app, Files);

    /// <summary>Maps each route to its embedded file (another app's set of pages, such as the dashboard's).</summary>
    public static void Map(WebApplication app, IReadOnlyDictionary<string, (string Resource, string ContentType)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var (route, (resource, contentType)) in files)
        {
            var bytes = Load(resource);
            app.MapGet(route, (HttpContext context) =>
            {
                context.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, contentType);
            });
        }
    }

    internal static byte[] Load(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded asset {resource} is missing from {Assembly.GetExecutingAssembly().GetName().Name}");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }
}
