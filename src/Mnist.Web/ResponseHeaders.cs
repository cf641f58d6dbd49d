using Microsoft.AspNetCore.Builder;

namespace Mnist.Web;

/// <summary>The headers every answer of the page's and the dashboard's servers carries.</summary>
internal static class ResponseHeaders
{
    /// <summary>
    /// <c>X-Content-Type-Options: nosniff</c> on every answer: a browser takes each one as the type
    /// it is sent as (JSON, which may hold text from a shared study, is never read as HTML). Set as
    /// the headers go out, so that an error the exception handler writes (it clears the headers
    /// set before the exception) carries it too.
    /// </summary>
    public static void UseNoSniff(WebApplication app) => app.Use((context, next) =>
    {
        var response = context.Response;
        response.OnStarting(() =>
        {
            response.Headers.XContentTypeOptions = "nosniff";
            return Task.CompletedTask;
        });
        return next(context);
    });
}
