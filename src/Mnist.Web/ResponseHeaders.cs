using Microsoft.AspNetCore.Builder;

namespace Mnist.Web;

/// <summary>The headers every answer of the page's and the dashboard's servers carries.</summary>
internal static class ResponseHeaders
{
    /// <summary>
    /// <c>X-Content-Type-Options: nosniff</c> on every answer: a browser takes each one as the type
    /// it is sent as (JSON, which may hold text from a shared study, is never read as HTML).
    /// </summary>
    public static void UseNoSniff(WebApplication app) => app.Use((context, next) =>
    {
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return next(context);
    });
}
